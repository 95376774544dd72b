"""Datasets under Keras's names.

Each module follows Keras's dataset style: ``load_data()`` returns
``(x_train, y_train), (x_test, y_test)`` as NumPy arrays. ``digits`` ships with kerax;
the others are downloaded once from Keras's public locations into Keras's cache
(``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), checked against Keras's hashes, and
read from there afterwards, so a machine with Keras's cache needs no network.
"""

from kerax.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "digits",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
