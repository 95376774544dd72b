"""Devices, meshes and tensor layouts: where arrays may live."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P


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
