"""Lookup and text layers that map raw host data (strings, ids) to model inputs.

They run on NumPy on the host, with no TensorFlow: ``StringLookup`` and
``TextVectorization`` are marked ``host_only`` and expose ``host_transform(array)``,
the step applied where data enters the device; ``IntegerLookup`` also has a pure JAX
path, so it can sit inside a compiled model on integer inputs.
"""

from kerax.layers.preprocessing_text.integer_lookup import IntegerLookup
from kerax.layers.preprocessing_text.string_lookup import StringLookup
from kerax.layers.preprocessing_text.text_vectorization import TextVectorization

__all__ = ["IntegerLookup", "StringLookup", "TextVectorization"]
