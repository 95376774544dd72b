"""Devices, meshes and tensor layouts: where arrays may live."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, Sharding
from jax.sharding import PartitionSpec as P


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of the default backend (or of ``device_type``), by name.

    With several processes these are the devices of all processes.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"`` (any case); JAX's default
            backend when None.

    Returns:
        Names such as ``["cpu:0", "cpu:1"]``, as :class:`DeviceMesh` accepts them.
    """
    devices = jax.devices(device_type.lower()) if device_type else jax.devices()
    return [f"{d.platform}:{d.id}" for d in devices]


def get_device_count(device_type: str | None = None) -> int:
    """How many devices the default backend (or ``device_type``) has, in all processes.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"`` (any case); JAX's default
            backend when None.
    """
    return jax.device_count(device_type.lower() if device_type else None)


def _resolve_devices(devices: Sequence[Any] | None) -> list[Any]:
    """JAX devices for ``devices``: JAX device objects, or names from list_devices."""
    if devices is None:
        return list(jax.devices())
    by_name = {f"{d.platform}:{d.id}": d for d in jax.devices()}
    out = []
    for d in devices:
        if isinstance(d, str | np.str_):
            if str(d) not in by_name:
                raise ValueError(f"Unknown device {d!r}; available: {sorted(by_name)}.")
            out.append(by_name[str(d)])
        else:
            out.append(d)
    return out


class DeviceMesh:
    """A grid of devices with named axes (a ``jax.sharding.Mesh``).

    Args:
        shape: The mesh's shape, e.g. ``(2, 4)``; its product is the number of devices.
        axis_names: One name per axis, e.g. ``("batch", "model")``.
        devices: Devices (names from :func:`list_devices`, or JAX device objects), in
            any array shape with the right number of entries; all devices by default.

    Attributes:
        shape: The shape, as a tuple.
        axis_names: The axis names, as a tuple.
        devices: The devices as given (names by default), as an array of ``shape``.
        backend_mesh: The ``jax.sharding.Mesh`` (also ``jax_mesh``).

    Example::

        mesh = DeviceMesh((2, 2), ("batch", "model"))
        mesh.devices  # array([['cpu:0', 'cpu:1'], ['cpu:2', 'cpu:3']])
    """

    def __init__(
        self, shape: Sequence[int], axis_names: Sequence[str], devices: Sequence[Any] | None = None
    ) -> None:
        shape, axis_names = tuple(shape), tuple(axis_names)
        if not shape or not axis_names:
            raise ValueError(
                f"A DeviceMesh needs a shape and axis names; received shape={shape}, "
                f"axis_names={axis_names}."
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                f"`shape` {shape} and `axis_names` {axis_names} must have the same length."
            )
        given = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != given.size:
            raise ValueError(
                f"A mesh of shape {shape} needs {math.prod(shape)} devices; {given.size} are given."
            )
        self._shape, self._axis_names = shape, axis_names
        self._devices = given.reshape(shape)
        jax_devices = _resolve_devices(list(self._devices.ravel()))
        self.jax_mesh = Mesh(np.array(jax_devices, dtype=object).reshape(shape), axis_names)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def axis_names(self) -> tuple[str, ...]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Mesh:
        return self.jax_mesh

    def axis_size(self, name: str) -> int:
        """The number of devices along mesh axis ``name``."""
        return self._shape[self._axis_names.index(name)]

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How one tensor is laid out on a mesh: one mesh axis name (or None) per dimension.

    Args:
        axes: E.g. ``(None, "model")``: the second dimension split over "model", the
            first not split.
        device_mesh: The mesh; when omitted, a :class:`LayoutMap` sets it on insertion.
            It can be set once.

    Raises:
        ValueError: If ``axes`` names an axis the mesh does not have.

    Example::

        layout = TensorLayout((None, "model"), DeviceMesh((2, 2), ("batch", "model")))
        layout.backend_layout  # NamedSharding(..., spec=P(None, 'model'))
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None) -> None:
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._check_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(
                f"This layout {self.axes} already has a mesh ({self._device_mesh}); a "
                "TensorLayout's mesh can be set once. Make a new TensorLayout instead."
            )
        self._device_mesh = device_mesh
        self._check_axes()

    @property
    def backend_layout(self) -> NamedSharding:
        """The ``jax.sharding.NamedSharding`` of this layout."""
        if self._device_mesh is None:
            raise ValueError(
                f"Layout {self.axes} has no device mesh; pass `device_mesh` or put it in "
                "a LayoutMap."
            )
        return NamedSharding(self._device_mesh.jax_mesh, P(*self._axes))

    def sharding(self) -> NamedSharding:
        """Same as :attr:`backend_layout`."""
        return self.backend_layout

    def _check_axes(self) -> None:
        mesh = self._device_mesh
        if mesh is None:
            return
        for axis in self._axes:
            if axis is not None and axis not in mesh.axis_names:
                raise ValueError(
                    f"Layout {self._axes} names mesh axis {axis!r}, which is not one of the "
                    f"mesh's axes {mesh.axis_names}."
                )

    def validate(self, shape: Sequence[int], what: str) -> None:
        """Raises ValueError if the layout does not fit a tensor of ``shape``.

        Args:
            shape: The tensor's shape.
            what: The tensor, for the message (e.g. ``"variable 'dense/kernel'"``).
        """
        mesh = self._device_mesh
        if len(self._axes) != len(shape):
            raise ValueError(
                f"Layout {self._axes} of {what} has {len(self._axes)} axes; the tensor has "
                f"shape {tuple(shape)}."
            )
        for dim, axis in zip(shape, self._axes):
            if axis is None:
                continue
            if mesh is None or axis not in mesh.axis_names:
                raise ValueError(
                    f"Layout {self._axes} of {what} names mesh axis {axis!r}, which is not "
                    f"one of the mesh's axes {None if mesh is None else mesh.axis_names}."
                )
            if dim % mesh.axis_size(axis):
                raise ValueError(
                    f"Layout {self._axes} of {what}: mesh axis {axis!r} of size "
                    f"{mesh.axis_size(axis)} does not divide dimension {dim} of shape "
                    f"{tuple(shape)}."
                )

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class LayoutMap(MutableMapping[str, TensorLayout]):
    """Tensor layouts keyed by regular expressions over paths (``"dense/kernel"``,
    ``"encoder/lstm/recurrent_kernel"``, ``"dense/output"``).

    A lookup takes the exact key if present, else the one key that matches the whole
    path (``re.fullmatch``), else None; a path that two keys match is an error. A
    value may be a :class:`TensorLayout` or a tuple (or list) of axis names; layouts
    without a mesh get the map's. Keys can be set once: delete a key to replace it.
    ``key in layout_map`` says whether a lookup finds a layout (Keras's says True for
    any key).

    Args:
        device_mesh: The mesh the layouts refer to.

    Example::

        layout_map = LayoutMap(DeviceMesh((2, 2), ("batch", "model")))
        layout_map["dense.*/kernel"] = (None, "model")
        layout_map["dense_1/kernel"].axes  # (None, 'model')
        layout_map["conv2d/kernel"]        # None: replicated
    """

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self._device_mesh = device_mesh
        self._layouts: dict[str, TensorLayout] = {}

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layouts:
            return self._layouts[key]
        matches = [k for k in self._layouts if re.fullmatch(k, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path {key!r} matches several LayoutMap keys: {matches}. Make the patterns "
                "match at most one key each."
            )
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: TensorLayout | Sequence[str | None]) -> None:
        if key in self._layouts:
            raise ValueError(
                f"LayoutMap key {key!r} already has the layout {self._layouts[key]}; delete "
                "it first (`del layout_map[key]`) to replace it."
            )
        if isinstance(layout, tuple | list):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A LayoutMap value must be a TensorLayout or a tuple of axis names; "
                f"received {layout!r} of type {type(layout).__name__} for key {key!r}."
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            try:
                layout.device_mesh = self._device_mesh
            except ValueError as err:
                raise ValueError(f"LayoutMap key {key!r}: {err}") from None
        self._layouts[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layouts[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self[key] is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._layouts)

    def __len__(self) -> int:
        return len(self._layouts)

    def __repr__(self) -> str:
        return f"<LayoutMap {dict(self._layouts)}, device_mesh={self._device_mesh}>"


def distribute_tensor(tensor: Any, layout: TensorLayout | Sharding) -> Any:
    """Lays ``tensor`` out as ``layout`` says.

    Inside a jitted function (a traced value) this is a sharding constraint
    (``jax.lax.with_sharding_constraint``): XLA then computes the value with that
    layout. Outside, the value is copied to the devices (``jax.device_put``) unless it
    is already laid out so. Symbolic tensors of a functional model are returned as they
    are.

    Args:
        tensor: An array, or a traced value inside a jitted function.
        layout: A :class:`TensorLayout` with a mesh, or a ``jax.sharding.Sharding``.

    Returns:
        The value with the layout.

    Example::

        mesh = DeviceMesh((4,), ("model",))
        x = distribute_tensor(np.ones((8, 4)), TensorLayout(("model", None), mesh))
    """
    from kerax.graph.symbolic import KerasTensor  # the graph package imports much of kerax

    if isinstance(tensor, KerasTensor):
        return tensor
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    if isinstance(tensor, jax.Array) and tensor.sharding.is_equivalent_to(sharding, tensor.ndim):
        return tensor
    return jax.device_put(tensor, sharding)
