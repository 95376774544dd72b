"""Distributions: a mesh, a batch axis, and a layout for each variable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from kerax.distribution.mesh import DeviceMesh, LayoutMap, TensorLayout, _resolve_devices


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
