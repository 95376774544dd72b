"""Process-wide settings: Keras's ``keras.config`` names (the global settings, the
debugging caps on ``fit``, the interactive-logging switch) and the persistent compile
cache.

XLA compilation dominates the first step of ``fit``. kerax turns on JAX's persistent
compilation cache when it is imported, so a second run of the same script (or a test
suite) loads compiled programs from disk instead of compiling them again:

* the cache lives in ``$KERAX_CACHE_DIR``, else ``~/.cache/kerax/xla``;
* ``KERAX_COMPILE_CACHE=0`` turns it off;
* a cache directory the user configured in JAX is left alone.

On CPU, the programs that loop over steps (``fit``'s epoch runner, ``evaluate``'s) are
compiled without two of XLA's while-loop passes, which take a share of their compile
and find nothing to do in them (``kerax.training.programs.loop_compiler_options``);
``KERAX_LOOP_PASSES=`` (empty) keeps every pass, any other value names the passes to
leave out.
"""

from __future__ import annotations

import os

import jax

# Keras's global settings, under ``keras.config``'s names.
from kerax._settings import (  # noqa: F401
    backend,
    disable_flash_attention,
    disable_traceback_filtering,
    dtype_policy,
    enable_flash_attention,
    enable_traceback_filtering,
    epsilon,
    floatx,
    image_data_format,
    is_flash_attention_enabled,
    is_nnx_enabled,
    is_traceback_filtering_enabled,
    set_backend,
    set_dtype_policy,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)


def enable_compile_cache(path: str | None = None, min_compile_time_secs: float = 0.2) -> str | None:
    """Turns on JAX's persistent compilation cache in ``path``.

    Args:
        path: The cache directory; default ``$KERAX_CACHE_DIR`` or ``~/.cache/kerax/xla``.
        min_compile_time_secs: Programs that compile faster than this are not cached.

    Returns:
        The directory in use, or None if caching is off.
    """
    if os.environ.get("KERAX_COMPILE_CACHE", "1") == "0":
        return None
    if jax.config.jax_compilation_cache_dir:
        return jax.config.jax_compilation_cache_dir
    path = (
        path
        or os.environ.get("KERAX_CACHE_DIR")
        or os.path.join(os.path.expanduser("~"), ".cache", "kerax", "xla")
    )
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", min_compile_time_secs)
    return path


# Whether loading may run code stored in a file (the bytecode of a `Lambda` layer's
# Python lambda). Off unless the user turns it off for the whole process.
_unsafe_deserialization = False


def enable_unsafe_deserialization() -> None:
    """Lets every later load run Python lambdas stored in files, as
    ``safe_mode=False`` does for one ``load_model`` call. Only for files you trust."""
    global _unsafe_deserialization
    _unsafe_deserialization = True


def unsafe_deserialization_enabled() -> bool:
    """Whether :func:`enable_unsafe_deserialization` was called in this process."""
    return _unsafe_deserialization


# Keras's debugging caps on ``fit`` (also read from ``KERAS_MAX_EPOCHS`` /
# ``KERAS_MAX_STEPS_PER_EPOCH`` at import, as Keras reads them).
_max_epochs: int | None = (
    int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
)
_max_steps_per_epoch: int | None = (
    int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ
    else None
)


def set_max_epochs(max_epochs: int | None) -> None:
    """Caps the number of epochs of every later ``fit`` (for quick debugging runs).

    Args:
        max_epochs: The most epochs ``fit`` runs, or None for no cap.
    """
    global _max_epochs
    _max_epochs = _cap(max_epochs, "max_epochs")


def max_epochs() -> int | None:
    """The cap set by :func:`set_max_epochs` (or ``KERAS_MAX_EPOCHS``), or None."""
    return _max_epochs


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Caps the training steps of each epoch of every later ``fit``.

    On iterable data an epoch takes the next ``max_steps_per_epoch`` batches, as with
    ``steps_per_epoch``; on in-memory arrays it takes the first ``max_steps_per_epoch``
    batches of that epoch's order (Keras instead continues where the previous epoch
    stopped, so the batches seen, not their count, differ until the data runs out).
    Validation inside ``fit``, ``evaluate`` and ``predict`` are not capped by kerax.

    Args:
        max_steps_per_epoch: The most steps per epoch, or None for no cap.
    """
    global _max_steps_per_epoch
    _max_steps_per_epoch = _cap(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch() -> int | None:
    """The cap set by :func:`set_max_steps_per_epoch` (or ``KERAS_MAX_STEPS_PER_EPOCH``),
    or None."""
    return _max_steps_per_epoch


def _cap(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"set_{name}: expected a non-negative integer or None, received {value!r}."
        )
    return value


def capped_fit(epochs: int, steps_per_epoch: int | None) -> tuple[int, int | None]:
    """``fit``'s ``epochs`` and ``steps_per_epoch`` under the global caps; warns, as
    Keras does, when a cap applies. A cap of 0 is no cap, as in Keras."""
    import warnings

    if _max_epochs and _max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {_max_epochs}", stacklevel=3)
        epochs = _max_epochs
    return epochs, capped_steps(steps_per_epoch, stacklevel=4)


def capped_steps(steps: int | None, stacklevel: int = 3) -> int | None:
    """``steps`` of a loop over batches (``fit``'s ``steps_per_epoch`` and
    ``validation_steps``, ``evaluate`` / ``predict``'s ``steps``) under the global step
    cap, which Keras applies to every such loop; warns, as Keras does, when the cap
    applies. A cap of 0 is no cap."""
    import warnings

    cap = _max_steps_per_epoch
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=stacklevel)
        return cap
    return steps


# Keras's interactive logging: progress output goes to stdout when on (the default),
# and to the ``logging`` module (logger ``"kerax"``, level INFO) when off.
_interactive_logging = True


def enable_interactive_logging() -> None:
    """Sends progress output (the ``fit`` / ``evaluate`` / ``predict`` bars) to stdout."""
    global _interactive_logging
    _interactive_logging = True


def disable_interactive_logging() -> None:
    """Sends progress output to the ``logging`` module instead of stdout: logger
    ``"kerax"`` at level INFO (Keras logs through absl, itself on ``logging``)."""
    global _interactive_logging
    _interactive_logging = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to stdout (True) or to ``logging`` (False)."""
    return _interactive_logging
