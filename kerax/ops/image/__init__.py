"""``kerax.ops.image``: Keras's image ops.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``; ``data_format="channels_first"`` puts channels before height instead.

One private module per kind of op: size (resize, resample, pad, crop), warps (affine
and perspective transforms, coordinate sampling), patches, colour conversions and
filters, and the random elastic deformation.
"""

from __future__ import annotations

from kerax.ops.image import _color, _elastic, _filters, _patches, _size, _warp
from kerax.ops.image._color import *  # noqa: F403
from kerax.ops.image._elastic import *  # noqa: F403
from kerax.ops.image._filters import *  # noqa: F403
from kerax.ops.image._patches import *  # noqa: F403
from kerax.ops.image._size import *  # noqa: F403
from kerax.ops.image._warp import *  # noqa: F403

__all__ = [
    *_size.__all__,
    *_warp.__all__,
    *_patches.__all__,
    *_color.__all__,
    *_filters.__all__,
    *_elastic.__all__,
]

# The ops keep ``kerax.ops.image`` as their module, their public home, as before the split.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
