"""Small datasets bundled with kerax, loaded without any network access.

Each module follows Keras's dataset style: ``load_data()`` returns
``(x_train, y_train), (x_test, y_test)`` as NumPy arrays.
"""

from kerax.datasets import digits

__all__ = ["digits"]
