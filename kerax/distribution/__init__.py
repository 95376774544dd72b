"""Distribution with Keras 3's names, on JAX's sharding.

A distribution is a device mesh (``jax.sharding.Mesh``) and a rule for placing arrays on
it: batches are split along the mesh's batch axis, and each variable is replicated or
sharded by its :class:`TensorLayout`. ``fit``, ``evaluate`` and ``predict`` place the
train state and the batches with ``NamedSharding`` and run the same single jitted step;
XLA inserts the collectives (gradient all-reduce, sharded matmuls). There is no
hand-written communication.

Example::

    import kerax
    from kerax import distribution

    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*/kernel"] = (None, "model")
    distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map))
    model.fit(x, y)   # batches split over "batch", Dense kernels over "model"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribution",
    "initialize",
    "list_devices",
    "set_distribution",
]


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of this process's backend (or of ``device_type``): ``["cpu:0", ...]``."""
    devices = jax.devices(device_type) if device_type else jax.devices()
    return [f"{d.platform}:{d.id}" for d in devices]


def _resolve_devices(devices: Sequence[Any] | None) -> list[Any]:
    if devices is None:
        return list(jax.devices())
    by_name = {f"{d.platform}:{d.id}": d for d in jax.devices()}
    out = []
    for d in devices:
        if isinstance(d, str):
            if d not in by_name:
                raise ValueError(f"Unknown device {d!r}; available: {sorted(by_name)}.")
            out.append(by_name[d])
        else:
            out.append(d)
    return out


class DeviceMesh:
    """A grid of devices with named axes.

    Args:
        shape: The mesh's shape, e.g. ``(2, 4)``; its product is the number of devices.
        axis_names: One name per axis, e.g. ``("batch", "model")``.
        devices: Devices (or their names from :func:`list_devices`); all by default.
    """

    def __init__(
        self, shape: Sequence[int], axis_names: Sequence[str], devices: Sequence[Any] | None = None
    ) -> None:
        shape, axis_names = tuple(shape), tuple(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(
                f"`shape` {shape} and `axis_names` {axis_names} must have the same length."
            )
        devs = _resolve_devices(devices)
        if int(np.prod(shape)) != len(devs):
            raise ValueError(
                f"A mesh of shape {shape} needs {int(np.prod(shape))} devices; "
                f"{len(devs)} are given."
            )
        self.shape, self.axis_names, self.devices = shape, axis_names, devs
        self.jax_mesh = Mesh(np.array(devs, dtype=object).reshape(shape), axis_names)

    def axis_size(self, name: str) -> int:
        return self.shape[self.axis_names.index(name)]

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How one tensor is laid out on a mesh: one mesh axis name (or None) per dimension.

    Args:
        axes: E.g. ``(None, "model")``: the second dimension sharded over "model".
        device_mesh: The mesh (set by the LayoutMap when omitted).
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None):
        self.axes, self.device_mesh = tuple(axes), device_mesh

    def validate(self, shape: Sequence[int], what: str) -> None:
        """Raises ValueError for an unknown axis name or a size it does not divide."""
        mesh = self.device_mesh
        if len(self.axes) != len(shape):
            raise ValueError(
                f"Layout {self.axes} of {what} has {len(self.axes)} axes; the tensor has "
                f"shape {tuple(shape)}."
            )
        for dim, axis in zip(shape, self.axes):
            if axis is None:
                continue
            if axis not in mesh.axis_names:
                raise ValueError(
                    f"Layout {self.axes} of {what} names mesh axis {axis!r}, which is not one "
                    f"of the mesh's axes {mesh.axis_names}."
                )
            if dim % mesh.axis_size(axis):
                raise ValueError(
                    f"Layout {self.axes} of {what}: mesh axis {axis!r} of size "
                    f"{mesh.axis_size(axis)} does not divide dimension {dim} of shape "
                    f"{tuple(shape)}."
                )

    def sharding(self) -> NamedSharding:
        return NamedSharding(self.device_mesh.jax_mesh, P(*self.axes))

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}>"


class LayoutMap:
    """Variable layouts keyed by regular expressions over variable paths
    (``"dense/kernel"``, ``"encoder/lstm/recurrent_kernel"``).

    A lookup takes the exact key if present, else the one key whose pattern matches
    (``re.search``); two matching patterns are an error.

    Args:
        device_mesh: The mesh the layouts refer to.
    """

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self.device_mesh = device_mesh
        self._layouts: dict[str, TensorLayout] = {}

    def __setitem__(self, key: str, layout: TensorLayout | Sequence[str | None]) -> None:
        if not isinstance(layout, TensorLayout):
            layout = TensorLayout(layout)
        if layout.device_mesh is None:
            layout.device_mesh = self.device_mesh
        for axis in layout.axes:
            if axis is not None and axis not in self.device_mesh.axis_names:
                raise ValueError(
                    f"Layout {layout.axes} for {key!r} names mesh axis {axis!r}, which is not "
                    f"one of the mesh's axes {self.device_mesh.axis_names}."
                )
        self._layouts[key] = layout

    def __getitem__(self, path: str) -> TensorLayout | None:
        if path in self._layouts:
            return self._layouts[path]
        matches = [k for k in self._layouts if re.search(k, path)]
        if len(matches) > 1:
            raise ValueError(f"Variable path {path!r} matches several layouts: {matches}.")
        return self._layouts[matches[0]] if matches else None

    def __len__(self) -> int:
        return len(self._layouts)


class Distribution:
    """Base class: a mesh, a batch axis, and where each variable goes."""

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str) -> None:
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(
                f"The batch axis {batch_dim_name!r} is not one of the mesh's axes "
                f"{device_mesh.axis_names}."
            )
        self.device_mesh, self.batch_dim_name = device_mesh, batch_dim_name

    @property
    def num_batch_shards(self) -> int:
        return self.device_mesh.axis_size(self.batch_dim_name)

    def variable_layout(self, path: str, shape: Sequence[int]) -> TensorLayout:
        """The layout of a variable (replicated unless a subclass says otherwise)."""
        return TensorLayout((None,) * len(shape), self.device_mesh)

    def batch_sharding(self, ndim: int) -> NamedSharding:
        """Batches are split along their first axis over the batch axis of the mesh."""
        return NamedSharding(
            self.device_mesh.jax_mesh, P(self.batch_dim_name, *([None] * (ndim - 1)))
        )

    def replicated(self) -> NamedSharding:
        return NamedSharding(self.device_mesh.jax_mesh, P())

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size % self.num_batch_shards:
            raise ValueError(
                f"The batch size {batch_size} does not split evenly over the "
                f"{self.num_batch_shards} devices of mesh axis {self.batch_dim_name!r}."
            )


class DataParallel(Distribution):
    """Every device holds all variables; each batch is split over all devices.

    Args:
        device_mesh: A 1-D mesh; by default one over ``devices`` (all devices).
        devices: Devices to use when no mesh is given.
    """

    def __init__(
        self, device_mesh: DeviceMesh | None = None, devices: Sequence[Any] | None = None
    ) -> None:
        if device_mesh is None:
            devs = _resolve_devices(devices)
            device_mesh = DeviceMesh((len(devs),), ("batch",), devs)
        super().__init__(device_mesh, device_mesh.axis_names[0])


class ModelParallel(Distribution):
    """Variables laid out by a :class:`LayoutMap`; batches split over the batch axis.

    Args:
        layout_map: Layouts by variable path (its mesh is the distribution's mesh).
        batch_dim_name: The mesh axis that splits batches (default: the first axis).
        device_mesh: Accepted for compatibility; must be the layout map's mesh.
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        device_mesh: DeviceMesh | None = None,
    ) -> None:
        if layout_map is None:
            raise ValueError("ModelParallel needs a `layout_map`.")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0])
        self.layout_map = layout_map

    def variable_layout(self, path: str, shape: Sequence[int]) -> TensorLayout:
        layout = self.layout_map[path]
        if layout is None:
            return super().variable_layout(path, shape)
        layout.validate(shape, f"variable {path!r}")
        return layout


_current: dict[str, Distribution | None] = {"distribution": None}


def set_distribution(value: Distribution | None) -> None:
    """Sets the distribution that ``fit`` / ``evaluate`` / ``predict`` use (None: off)."""
    _current["distribution"] = value


def distribution() -> Distribution | None:
    """The current distribution, or None."""
    return _current["distribution"]


def initialize(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Starts JAX's multi-process runtime (``jax.distributed.initialize``).

    Args:
        job_addresses: The coordinator's address (``"host:port"``), or a comma-separated
            list whose first entry is the coordinator, as in Keras.
        num_processes: How many processes take part.
        process_id: This process's index.
    """
    coordinator = job_addresses.split(",")[0] if job_addresses else None
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
