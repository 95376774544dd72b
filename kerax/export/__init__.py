"""Keras's ``keras.export``: serving archives, written with ``jax.export``.

:class:`ExportArchive` collects endpoints of kerax models and layers and writes them to
a directory; :func:`load_archive` reads it back without the model's code. (``model.export``
and ``kerax.saving.load_exported`` cover the single ``serve`` endpoint.)
"""

from kerax.export._archive import ExportArchive
from kerax.export._loaded import LoadedArchive, LoadedEndpoint, load_archive

__all__ = ["ExportArchive", "LoadedArchive", "LoadedEndpoint", "load_archive"]
