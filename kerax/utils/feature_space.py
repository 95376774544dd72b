"""``FeatureSpace``: structured-data preprocessing declared feature by feature.

Each feature has a preprocessing layer (``Normalization``, ``Discretization``,
``StringLookup``, ``IntegerLookup``, ``Hashing``, ...), crosses hash pairs of
preprocessed features together (``HashedCrossing``), and categorical outputs are
encoded as one-hot vectors (``CategoryEncoding``); the results are concatenated, in
sorted feature-name order then sorted cross-name order, or returned as a dict. This is
Keras's recipe, with Keras's layers, so the encoded values are the ones those layers
give.

Without ``tf.data``, kerax's ``FeatureSpace`` is called on a dict of arrays (eagerly:
each layer runs on its data), adapts on a dict of arrays or an iterable of dict batches
(a ``kerax.utils.HostDataset``, a list, a generator), and ``get_inputs()`` /
``get_encoded_features()`` give the symbolic graph to build models on. In such a
model, string features are mapped on the host where the data enters (``StringLookup``
and, for ``string_hashed`` features, ``StringHashing``), so an inference model on raw
dict inputs predicts from raw strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kerax.layers import (
    CategoryEncoding,
    Concatenate,
    Discretization,
    HashedCrossing,
    Hashing,
    Input,
    IntegerLookup,
    Normalization,
    StringLookup,
    TextVectorization,
)
from kerax.utils._feature_space_parts import (
    Cross,
    Feature,
    FeatureHelpers,
    from_entry,
    serialize,
)

_SHORTCUTS = (
    "float",
    "float_normalized",
    "float_rescaled",
    "float_discretized",
    "integer_categorical",
    "string_categorical",
    "integer_hashed",
    "string_hashed",
)
_ADAPT_BATCH = 32  # Keras batches a dict of arrays by 32 rows to adapt


def _column(values: Any) -> np.ndarray:
    """One feature's data as a ``(rows, 1)`` NumPy array (strings as objects)."""
    array = np.asarray(values)
    if array.dtype.kind in "US":
        array = array.astype(object)
    if array.ndim == 0:
        return array.reshape(1, 1)
    if array.ndim == 1:
        return array[:, None]
    return array


class FeatureSpace(FeatureHelpers):
    """Preprocesses and encodes a dict of structured features, as Keras's
    ``keras.utils.FeatureSpace``.

    Args:
        features: ``{name: feature}``, each a ``Feature`` (from ``FeatureSpace.float``,
            ``float_rescaled``, ``float_normalized``, ``float_discretized``,
            ``integer_categorical``, ``string_categorical``, ``string_hashed``,
            ``integer_hashed`` or ``feature``) or the name of one of those helpers
            (with its defaults).
        output_mode: ``"concat"`` (default: one float vector per sample) or ``"dict"``.
        crosses: Feature crosses: tuples of feature names, or ``FeatureSpace.cross``.
        crossing_dim: Buckets of the crosses given as tuples (default 32).
        hashing_dim: Buckets of hashed features given by name (default 32).
        num_discretization_bins: Bins of discretized features given by name
            (default 32).
        name: The feature space's name.
    """

    def __init__(
        self,
        features: Mapping[str, Any],
        output_mode: str = "concat",
        crosses: Any = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
    ) -> None:
        if not features:
            raise ValueError("FeatureSpace: the `features` argument cannot be None or empty.")
        self.name = name or "feature_space"
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, v) for key, v in features.items()}
        self.crosses: list[Cross] = []
        for cross in crosses or ():
            if isinstance(cross, Cross | dict):
                self.crosses.append(from_entry(cross, Cross))
                continue
            if not crossing_dim:
                raise ValueError(
                    "FeatureSpace: when specifying `crosses`, the argument `crossing_dim` "
                    "(dimensionality of the crossing space) should be specified as well."
                )
            unknown = [key for key in cross if key not in self.features]
            if unknown:
                raise ValueError(
                    "FeatureSpace: all features referenced in the `crosses` argument should "
                    f"be present in the `features` dict. Received unknown features {unknown} "
                    f"in cross {tuple(cross)}."
                )
            self.crosses.append(Cross(cross, crossing_dim=crossing_dim))
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "FeatureSpace: invalid value for argument `output_mode`. Expected one of "
                f"{{'dict', 'concat'}}. Received: output_mode={output_mode!r}"
            )
        self.output_mode = output_mode
        self.inputs = {
            key: Input(shape=(1,), dtype=feature.dtype, name=key)
            for key, feature in self.features.items()
        }
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name) for c in self.crosses}
        self.one_hot_encoders: dict[str, Any] = {}
        self.concat: Any = None
        self.encoded_features: Any = None
        self._is_adapted = False

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        if isinstance(feature, Feature | dict):
            return from_entry(feature, Feature)
        if feature not in _SHORTCUTS:
            raise ValueError(
                f"FeatureSpace: invalid feature type {feature!r} for feature {name!r}: pass "
                f"a Feature or one of {list(_SHORTCUTS)}."
            )
        if feature == "float_discretized":
            return self.float_discretized(num_bins=self.num_discretization_bins, name=name)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        return getattr(self, feature)(name=name)

    # ------------------------------------------------------------------ adapting
    def _adaptable(self) -> list[str]:
        names = []
        for key, layer in self.preprocessors.items():
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:
                continue
            if isinstance(layer, IntegerLookup | StringLookup | TextVectorization) and getattr(
                layer, "_has_input_vocabulary", False
            ):
                continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def _columns(self, dataset: Any, names: list[str]) -> dict[str, list[np.ndarray]]:
        """Each named feature's adapt batches, ``(rows, 1)`` arrays."""
        if isinstance(dataset, Mapping):
            missing = [key for key in names if key not in dataset]
            if missing:
                raise ValueError(f"FeatureSpace.adapt: the data has no feature(s) {missing}.")
            out = {}
            for key in names:
                column = _column(dataset[key])
                out[key] = [
                    column[i : i + _ADAPT_BATCH] for i in range(0, len(column), _ADAPT_BATCH)
                ]
            return out
        if isinstance(dataset, str | bytes | np.ndarray) or not hasattr(dataset, "__iter__"):
            raise ValueError(
                "FeatureSpace.adapt() can only be called on a dict of arrays/lists or an "
                "iterable of dict batches (a kerax.utils.HostDataset, a list, a generator). "
                f"Received instead: {type(dataset).__name__}."
            )
        out = {key: [] for key in names}
        for element in dataset:
            batch = element[0] if isinstance(element, tuple) else element
            if not isinstance(batch, Mapping):
                raise ValueError(
                    "FeatureSpace.adapt(): each element of the dataset must be a dict of "
                    f"features (or an (x, y) pair with a dict x); received {type(batch).__name__}."
                )
            for key in names:
                if key not in batch:
                    raise ValueError(f"FeatureSpace.adapt: a batch has no feature {key!r}.")
                out[key].append(_column(batch[key]))
        if names and not out[names[0]]:
            raise ValueError("FeatureSpace.adapt() received an empty dataset.")
        return out

    def adapt(self, dataset: Any) -> None:
        """Adapts every adaptable preprocessor (normalization statistics, quantiles,
        vocabularies) to its feature in ``dataset``.

        Args:
            dataset: A dict of arrays or lists (one row per sample; adapted in batches of
                32 rows, as Keras batches it), or an iterable of dict batches, each
                element optionally an ``(x, y)`` pair of which the dict ``x`` is used.
        """
        names = self._adaptable()
        for key, batches in self._columns(dataset, names).items():
            self.preprocessors[key].adapt(iter(batches))
        self._is_adapted = True
        self.get_encoded_features()

    # ------------------------------------------------------------------ the graph
    def _check_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )
            self._is_adapted = True

    def get_inputs(self) -> dict[str, Any]:
        """The symbolic ``Input`` of each feature, ``{name: Input((1,))}``."""
        self.get_encoded_features()
        return self.inputs

    def get_encoded_features(self) -> Any:
        """The encoded features of ``get_inputs()``, symbolic: one tensor
        (``"concat"``) or ``{name: tensor}`` (``"dict"``)."""
        self._check_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _cardinality(self, name: str, layer: Any) -> int:
        if isinstance(layer, IntegerLookup | StringLookup):
            return int(layer.vocabulary_size())
        if isinstance(layer, CategoryEncoding):
            return int(layer.num_tokens)
        if isinstance(layer, Discretization):
            return len(layer.bin_boundaries) + 1
        if isinstance(layer, HashedCrossing | Hashing):
            return int(layer.num_bins)
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard "
            "feature and the dimensionality of its output space is not known, thus it cannot "
            "be one-hot encoded. Try using `output_mode='int'`."
        )

    def _encoder(self, name: str, spec: Feature | Cross, value: Any) -> Any:
        if name in self.one_hot_encoders or spec.output_mode != "one_hot":
            return self.one_hot_encoders.get(name)
        dtype = str(value.dtype)
        if not dtype.startswith(("int", "uint")):
            raise ValueError(
                f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
                f"return an integer dtype. Instead it returns a {dtype} dtype."
            )
        layer = self.preprocessors.get(name) or self.crossers.get(name)
        encoder = CategoryEncoding(
            num_tokens=self._cardinality(name, layer),
            output_mode="multi_hot",
            name=f"{self.name}_{name}_encoder",
        )
        self.one_hot_encoders[name] = encoder
        return encoder

    def _encode(self, data: Mapping[str, Any]) -> Any:
        """Preprocess, cross, encode and merge ``data`` (symbolic or ``(rows, 1)``)."""
        values = {key: self.preprocessors[key](data[key]) for key in self.features}
        for cross in self.crosses:
            values[cross.name] = self.crossers[cross.name]([values[k] for k in cross.feature_names])
        specs: dict[str, Feature | Cross] = {**self.features, **self.crosses_by_name}
        order = sorted(self.features) + sorted(self.crosses_by_name)
        encoded = {}
        for key in order:
            value = values[key]
            encoder = self._encoder(key, specs[key], value)
            encoded[key] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        for key in order:
            dtype = str(encoded[key].dtype)
            if not dtype.startswith(("float", "bfloat")):
                raise ValueError(
                    f"FeatureSpace: cannot concatenate features because feature '{key}' has "
                    f"not been encoded (it has dtype {dtype}). Consider using "
                    "`output_mode='dict'`."
                )
        if self.concat is None:
            self.concat = Concatenate(axis=-1, name=f"{self.name}_concat")
        return self.concat([encoded[key] for key in order])

    def __call__(self, data: Mapping[str, Any]) -> Any:
        """Encodes a dict of raw feature arrays (one row per sample; a dict of scalars is
        one sample and gives unbatched outputs)."""
        self.get_encoded_features()
        if not isinstance(data, Mapping):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data of type {type(data).__name__}."
            )
        missing = [key for key in self.features if key not in data]
        if missing:
            raise ValueError(f"FeatureSpace '{self.name}': the data has no feature(s) {missing}.")
        single = all(np.ndim(data[key]) == 0 for key in self.features)
        columns = {}
        for key, feature in self.features.items():
            column = _column(data[key])
            if feature.dtype != "string":
                column = column.astype(feature.dtype)
            columns[key] = column
        out = self._encode(columns)
        if not single:
            return out
        if isinstance(out, dict):
            return {key: value[0] for key, value in out.items()}
        return out[0]

    def save(self, filepath: str) -> None:
        """Not provided: kerax's ``load_model`` restores models, not feature spaces.

        Raises:
            NotImplementedError: Always, naming what to save instead.
        """
        raise NotImplementedError(
            f"FeatureSpace.save({filepath!r}) is not supported by kerax: save a model built on "
            "the feature space instead, e.g. kerax.Model(fs.get_inputs(), "
            "fs.get_encoded_features()).save(path); its preprocessing layers keep their "
            "adapted state, and the loaded model encodes raw dict inputs."
        )

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        return {
            "features": {key: serialize(f) for key, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [serialize(c) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureSpace:
        """A feature space from ``get_config()``; its preprocessors keep the state their
        configs hold (given vocabularies, boundaries, statistics), so a space whose
        preprocessors were adapted must be adapted again."""
        return cls(**config)
