"""The pieces of ``FeatureSpace``: its ``Feature`` and ``Cross`` specs, the feature
helpers behind ``FeatureSpace.float`` ... ``FeatureSpace.integer_hashed``, and the
host-side string hashing layer that lets a hashed string feature sit in a model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerax.layers import (
    Discretization,
    Hashing,
    Identity,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
)
from kerax.layers.preprocessing_text._host_call import HostCallMixin
from kerax.saving.object_registration import register_keras_serializable

FEATURE_MODES = ("int", "one_hot", "float")
CROSS_MODES = ("int", "one_hot")

_counts: dict[str, int] = {}


def auto_name(prefix: str) -> str:
    """``prefix`` made unique in this process (``float``, ``float_1``, ...)."""
    count = _counts.get(prefix, 0)
    _counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


@register_keras_serializable(package="kerax", name="StringHashing")
class StringHashing(HostCallMixin, Hashing):
    """``Hashing`` for a string feature of a model: it hashes on the host where the data
    enters (as ``StringLookup`` maps), so the compiled model receives bucket indices.

    Its arguments and buckets are ``Hashing``'s; ``FeatureSpace`` uses it for
    ``string_hashed`` features.
    """

    host_only = True

    def host_transform(self, inputs: Any) -> np.ndarray:
        """The bucket indices of the strings ``inputs`` (int64, their shape)."""
        if self.output_mode != "int":
            raise ValueError(
                f"StringHashing '{self.name}' maps strings to bucket indices only "
                f"(output_mode='int'); received output_mode={self.output_mode!r}. Encode the "
                "indices with CategoryEncoding."
            )
        return self.hash_values(inputs)

    def output_dtype(self) -> str:
        return "int64"

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return tuple(input_shape)


def _preprocessor(value: Any) -> Any:
    if isinstance(value, dict):
        from kerax.saving.serialization import deserialize_layer

        return deserialize_layer(value)
    return value


class Feature:
    """One feature of a ``FeatureSpace``: its input dtype, the layer that preprocesses
    it, and how its output is encoded (``"int"``, ``"one_hot"`` or ``"float"``)."""

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str) -> None:
        if output_mode not in FEATURE_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode` of a FeatureSpace feature. "
                f"Expected one of {set(FEATURE_MODES)}. Received: output_mode={output_mode!r}"
            )
        preprocessor = _preprocessor(preprocessor)
        if dtype == "string" and type(preprocessor) is Hashing:
            # A string feature's hashing runs on the host (see StringHashing).
            preprocessor = StringHashing.from_config(preprocessor.get_config())
        self.dtype, self.preprocessor, self.output_mode = dtype, preprocessor, output_mode

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {
            "dtype": self.dtype,
            "preprocessor": serialize_layer(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Feature:
        return cls(**config)


class Cross:
    """A crossed feature: the named features hashed together into ``crossing_dim``
    buckets (``HashedCrossing``), encoded as ``"one_hot"`` (default) or ``"int"``."""

    def __init__(self, feature_names: Any, crossing_dim: int, output_mode: str = "one_hot") -> None:
        if output_mode not in CROSS_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode` of a FeatureSpace cross. "
                f"Expected one of {set(CROSS_MODES)}. Received: output_mode={output_mode!r}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim, self.output_mode = crossing_dim, output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict[str, Any]:
        return {
            "feature_names": self.feature_names,
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Cross:
        return cls(**config)


def from_entry(entry: Any, kind: type) -> Any:
    """A ``Feature`` / ``Cross`` from its serialized entry (or the object itself)."""
    if isinstance(entry, kind):
        return entry
    if isinstance(entry, dict):
        config = entry.get("config", entry) if "class_name" in entry else entry
        if "class_name" in entry and entry["class_name"] != kind.__name__:
            raise ValueError(
                f"FeatureSpace: expected a serialized {kind.__name__}, received class "
                f"{entry['class_name']!r}."
            )
        return kind.from_config(dict(config))
    raise TypeError(f"FeatureSpace: expected a {kind.__name__}, received {entry!r}.")


def serialize(obj: Feature | Cross) -> dict[str, Any]:
    """Keras's entry layout for a ``Feature`` / ``Cross``."""
    return {
        "module": "keras.src.layers.preprocessing.feature_space",
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": type(obj).__name__,
    }


class FeatureHelpers:
    """The feature constructors, as class methods of ``FeatureSpace``."""

    @classmethod
    def cross(cls, feature_names: Any, crossing_dim: int, output_mode: str = "one_hot") -> Cross:
        """A cross of ``feature_names`` hashed into ``crossing_dim`` buckets."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A feature of ``dtype`` preprocessed by the layer ``preprocessor``."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:  # noqa: A003
        """A float feature passed through as it is."""
        name = name or auto_name("float")
        return Feature("float32", Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(
        cls, scale: float = 1.0, offset: float = 0.0, name: str | None = None
    ) -> Feature:
        """A float feature mapped to ``x * scale + offset``."""
        name = name or auto_name("float_rescaled")
        layer = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """A float feature normalized by the mean and variance ``adapt`` measures."""
        name = name or auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(
        cls,
        num_bins: int,
        bin_boundaries: Any = None,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A float feature bucketed by ``bin_boundaries``, or by ``num_bins`` quantiles
        that ``adapt`` measures."""
        name = name or auto_name("float_discretized")
        layer = Discretization(
            num_bins=None if bin_boundaries is not None else num_bins,
            bin_boundaries=bin_boundaries,
            name=f"{name}_preprocessor",
        )
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """An integer category, indexed by the vocabulary ``adapt`` collects."""
        name = name or auto_name("integer_categorical")
        layer = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A string category, indexed by the vocabulary ``adapt`` collects."""
        name = name or auto_name("string_categorical")
        layer = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """A string category hashed into ``num_bins`` buckets."""
        name = name or auto_name("string_hashed")
        return Feature(
            "string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    @classmethod
    def integer_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """An integer category hashed into ``num_bins`` buckets."""
        name = name or auto_name("integer_hashed")
        return Feature(
            "int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )
