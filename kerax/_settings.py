"""Keras's global settings: the default float dtype, the fuzz factor, the image data
format and the global dtype policy. :mod:`kerax.config` and :mod:`kerax.backend` expose
them under Keras's names.

Each setting is honoured by what reads it: ``floatx`` is the dtype policy of layers
created afterwards (unless a policy was set explicitly), ``image_data_format`` is the
``data_format`` layers and ops take when given ``None``.
"""

from __future__ import annotations

from typing import Any

_FLOATS = ("bfloat16", "float16", "float32", "float64")
_FORMATS = ("channels_first", "channels_last")
# Keras's fuzz factor; kerax's losses and metrics use this value as a constant.
_EPSILON = 1e-7
_STATE: dict[str, Any] = {"floatx": "float32", "image_data_format": "channels_last"}


def floatx() -> str:
    """The default float dtype, as a string (``"float32"`` unless set)."""
    return _STATE["floatx"]


def set_floatx(value: str) -> None:
    """Sets the default float dtype. Layers created afterwards store and compute in it
    (their dtype policy), unless a dtype policy was set explicitly.

    Args:
        value: ``"bfloat16"``, ``"float16"``, ``"float32"`` or ``"float64"``.

    Raises:
        ValueError: For any other value.
    """
    from kerax import mixed_precision

    value = str(value)
    if value not in _FLOATS:
        raise ValueError(f"set_floatx: expected one of {_FLOATS}, received {value!r}.")
    if mixed_precision.global_policy().name == _STATE["floatx"]:
        mixed_precision.set_global_policy(value)
    _STATE["floatx"] = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Keras's ``set_epsilon``. kerax's losses and metrics use the fixed fuzz factor
    ``1e-7``; setting that same value is accepted, any other raises.

    Raises:
        NotImplementedError: For a value other than ``1e-7``.
    """
    if float(value) != _EPSILON:
        raise NotImplementedError(
            f"set_epsilon({value!r}): kerax's losses and metrics use the fixed fuzz factor "
            f"{_EPSILON}; another value is not supported. Pass `epsilon=` to the layer or "
            "optimizer that takes one instead."
        )


def image_data_format() -> str:
    """The default image data format: ``"channels_last"`` unless set."""
    return _STATE["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    """Sets the ``data_format`` that layers and ops created afterwards take when given
    ``None``.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Raises:
        ValueError: For any other value.
    """
    value = str(data_format).lower()
    if value not in _FORMATS:
        raise ValueError(
            f"set_image_data_format: expected one of {_FORMATS}, received {data_format!r}."
        )
    _STATE["image_data_format"] = value


def backend() -> str:
    """The array backend: always ``"jax"``."""
    return "jax"


def dtype_policy() -> Any:
    """The global dtype policy (:func:`kerax.mixed_precision.global_policy`)."""
    from kerax import mixed_precision

    return mixed_precision.global_policy()


def set_dtype_policy(policy: Any) -> None:
    """Sets the global dtype policy: a name (``"mixed_bfloat16"``) or a policy object
    (:func:`kerax.mixed_precision.set_global_policy`)."""
    from kerax import mixed_precision

    mixed_precision.set_global_policy(policy)


def set_backend(backend: str) -> None:
    """Keras's backend switch: kerax runs on JAX only, so only ``"jax"`` is accepted.

    Raises:
        ValueError: For any other backend.
    """
    if backend != "jax":
        raise ValueError(
            f"set_backend({backend!r}): kerax runs on JAX only; use the keras package for "
            "other backends."
        )


def is_nnx_enabled() -> bool:
    """Whether Flax NNX integration is on: never, kerax has none."""
    return False


def is_traceback_filtering_enabled() -> bool:
    """Whether tracebacks are shortened: never, kerax shows the whole stack."""
    return False


def disable_traceback_filtering() -> None:
    """Keeps tracebacks whole, which kerax always does."""


def enable_traceback_filtering() -> None:
    """Keras's traceback shortening, which kerax does not do.

    Raises:
        NotImplementedError: Always; kerax's errors name the layer and shapes instead.
    """
    raise NotImplementedError(
        "enable_traceback_filtering(): kerax does not filter tracebacks; its errors name "
        "the layer, the tensors and the shapes instead."
    )


def is_flash_attention_enabled() -> bool | None:
    """Keras's flash-attention setting: ``None`` (no preference) unless disabled; kerax's
    attention runs as XLA lowers it and never calls a flash-attention kernel."""
    return _STATE.get("flash_attention")


def disable_flash_attention() -> None:
    """Keeps attention off flash-attention kernels, as kerax always does."""
    _STATE["flash_attention"] = False


def enable_flash_attention() -> None:
    """Keras's switch to flash-attention kernels, which kerax does not call.

    Raises:
        NotImplementedError: Always.
    """
    raise NotImplementedError(
        "enable_flash_attention(): kerax's attention runs as XLA lowers it; flash-attention "
        "kernels are not supported."
    )
