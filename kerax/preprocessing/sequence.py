"""``kerax.preprocessing.sequence``: ``pad_sequences`` under Keras 3's name."""

from kerax.utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
