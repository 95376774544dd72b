"""Process-wide settings: the persistent compile cache.

XLA compilation dominates the first step of ``fit``. kerax turns on JAX's persistent
compilation cache when it is imported, so a second run of the same script (or a test
suite) loads compiled programs from disk instead of compiling them again:

* the cache lives in ``$KERAX_CACHE_DIR``, else ``~/.cache/kerax/xla``;
* ``KERAX_COMPILE_CACHE=0`` turns it off;
* a cache directory the user configured in JAX is left alone.
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
