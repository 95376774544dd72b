"""Distribution with Keras 3's names, on JAX's sharding.

A distribution is a device mesh (``jax.sharding.Mesh``) and a rule for placing arrays on
it: datasets and batches are split along the mesh's batch axis, and each variable is
replicated or sharded by its :class:`TensorLayout`. ``fit``, ``evaluate`` and ``predict``
place the train state and the data with ``NamedSharding`` and run the same single jitted
step; XLA inserts the collectives (gradient all-reduce, sharded matmuls). There is no
hand-written communication. With several processes (:func:`initialize`), each process
passes its own share of the data (:meth:`Distribution.distribute_dataset` cuts it from
the global data); see :mod:`kerax.distribution.placement`.

The public names, and the methods and properties of the classes, are Keras 3's
``keras.distribution`` (same parameter names and defaults); kerax's own helpers
(``variable_layout``, ``batch_sharding``, ``TensorLayout.validate``, ...) come on top.

Example::

    import kerax
    from kerax import distribution

    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*/kernel"] = (None, "model")
    with distribution.ModelParallel(layout_map=layout_map).scope():
        model.fit(x, y)   # batches split over "batch", Dense kernels over "model"
"""

from kerax.distribution.distributions import (
    DataParallel,
    Distribution,
    ModelParallel,
    distribution,
    set_distribution,
)
from kerax.distribution.mesh import (
    DeviceMesh,
    LayoutMap,
    TensorLayout,
    distribute_tensor,
    get_device_count,
    list_devices,
)
from kerax.distribution.runtime import initialize

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]
