"""``kerax.ops.nn``: Keras's neural-network ops (all also at ``kerax.ops``).

Activations, convolutions and pooling, encodings, normalizations, losses, attention, and
tensor rearrangements, one private module each. Spatial ops take ``data_format``:
``"channels_last"`` (the default, ``(batch, *spatial, channels)``) or
``"channels_first"``.
"""

from __future__ import annotations

from kerax.ops.nn import (
    _activations,
    _attention,
    _conv,
    _encodings,
    _layout,
    _losses,
    _normalization,
)
from kerax.ops.nn._activations import *  # noqa: F403
from kerax.ops.nn._attention import *  # noqa: F403
from kerax.ops.nn._conv import *  # noqa: F403
from kerax.ops.nn._encodings import *  # noqa: F403
from kerax.ops.nn._layout import *  # noqa: F403
from kerax.ops.nn._losses import *  # noqa: F403
from kerax.ops.nn._normalization import *  # noqa: F403

__all__ = [
    *_activations.__all__,
    *_conv.__all__,
    *_encodings.__all__,
    *_normalization.__all__,
    *_losses.__all__,
    *_attention.__all__,
    *_layout.__all__,
]

# The ops keep ``kerax.ops.nn`` as their module, their public home, as before the split.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
