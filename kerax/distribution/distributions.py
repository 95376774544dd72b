"""Distributions: a mesh, a batch axis, and a layout for each variable."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from kerax.distribution.datasets import process_share
from kerax.distribution.mesh import DeviceMesh, LayoutMap, TensorLayout, list_devices

#: The mesh axis name DataParallel gives the mesh it builds.
DEFAULT_BATCH_DIM_NAME = "batch"


class Distribution:
    """Base class: a mesh, the mesh axis that splits batches, and where each variable
    goes (replicated here; subclasses say otherwise).

    ``fit``, ``evaluate`` and ``predict`` under a distribution split each batch along
    its first axis over ``batch_dim_name`` (the layout :meth:`get_data_layout` gives)
    and place each variable by :meth:`get_variable_layout`.

    Args:
        device_mesh: The mesh.
        batch_dim_name: The mesh axis that splits batches; None: batches are not split
            (every device sees the whole batch).
        auto_shard_dataset: Whether :meth:`distribute_dataset` gives each process its
            share of a global dataset (False: the data is already per process).

    Raises:
        ValueError: If ``batch_dim_name`` is not one of the mesh's axes.
    """

    def __init__(
        self,
        device_mesh: DeviceMesh,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if batch_dim_name is not None and batch_dim_name not in device_mesh.axis_names:
            raise ValueError(
                f"The batch axis {batch_dim_name!r} is not one of the mesh's axes "
                f"{device_mesh.axis_names}."
            )
        self._device_mesh, self._batch_dim_name = device_mesh, batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes, self._process_id = jax.process_count(), jax.process_index()

    # ------------------------------------------------------------------ Keras's API
    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, auto_shard_dataset: bool) -> None:
        self._auto_shard_dataset = auto_shard_dataset

    @property
    def num_processes(self) -> int:
        """How many processes take part (1 unless :func:`initialize` started several)."""
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        """How many ways batches are split: the size of the batch axis."""
        return self.num_batch_shards

    @property
    def data_shard_id(self) -> int:
        """Which share of a global dataset this process reads: its process index when
        each process holds whole replicas, else the index of the replica it is part of."""
        if self.num_model_replicas >= self._num_processes:
            return self._process_id
        return self._process_id // (self._num_processes // self.num_model_replicas)

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """The layout of a batch of ``data_shape``: split along its first axis over the
        batch axis, the other axes whole."""
        axes = [None] * len(data_shape)
        if axes:
            axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout of ``variable`` (anything with ``path`` and ``shape``): here,
        replicated on every device."""
        return TensorLayout((None,) * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout wanted for the intermediate tensor at ``path``; None: no change."""
        return None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Makes this the current distribution inside a ``with`` block; the one before
        is restored on leaving."""
        before = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(before)

    def distribute_dataset(self, dataset: Any) -> Any:
        """This process's share of a global dataset, for multi-process runs where every
        process can read all the data (Keras's ``auto_shard_dataset``).

        kerax's ``fit`` takes each process's own rows, so pass it the result. With one
        process, one batch shard, or ``auto_shard_dataset=False``, ``dataset`` is
        returned as it is. Otherwise the data is cut into ``min(num_model_replicas,
        num_processes)`` shares and this process gets share :attr:`data_shard_id`:

        - In-memory data (an array, or a tuple / list / dict of arrays with the same
          number of rows) is cut by rows into consecutive blocks, the first blocks one
          row longer when the rows do not divide: the shares one after another, in
          process order, are the whole dataset.
        - An iterable of batches gives an iterable (re-iterable if ``dataset`` is)
          that yields this process's consecutive block of rows of each batch, as
          Keras's rebatching and sharding of a ``tf.data.Dataset`` do; each batch's
          rows must divide by the number of shares.

        Args:
            dataset: The global dataset: arrays, or an iterable of batches.

        Returns:
            This process's share, in the same structure.

        Raises:
            ValueError: If a batch's rows do not divide by the number of shares, or the
                arrays have different numbers of rows.
        """
        shares = min(self.num_model_replicas, self._num_processes)
        if not self._auto_shard_dataset or shares == 1:
            return dataset
        return process_share(dataset, shares, self.data_shard_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"

    # ------------------------------------------------------------------ kerax's helpers
    @property
    def num_batch_shards(self) -> int:
        """How many pieces a batch is split into (the batch axis's size)."""
        if self._batch_dim_name is None:
            return 1
        return self._device_mesh.axis_size(self._batch_dim_name)

    def variable_layout(self, path: str, shape: Sequence[int]) -> TensorLayout:
        """The layout :meth:`get_variable_layout` gives the variable at ``path``, checked
        against its ``shape``.

        Raises:
            ValueError: If the layout does not fit the variable.
        """
        layout = self.get_variable_layout(SimpleNamespace(path=path, shape=tuple(shape)))
        layout.validate(shape, f"variable {path!r}")
        return layout

    def batch_sharding(self, ndim: int) -> NamedSharding:
        """How a batch with ``ndim`` axes is split: its first axis over the batch axis."""
        return NamedSharding(
            self._device_mesh.jax_mesh, P(self._batch_dim_name, *([None] * (ndim - 1)))
        )

    def replicated(self) -> NamedSharding:
        """A copy on every device of the mesh."""
        return NamedSharding(self._device_mesh.jax_mesh, P())

    def check_batch_size(self, batch_size: int) -> None:
        """Raises ValueError if ``batch_size`` does not split over the batch axis."""
        if batch_size % self.num_batch_shards:
            raise ValueError(
                f"The batch size {batch_size} does not split evenly over the "
                f"{self.num_batch_shards} devices of mesh axis {self._batch_dim_name!r}."
            )


class DataParallel(Distribution):
    """Every device holds all variables; each batch is split over the devices.

    Give a 1-D ``device_mesh``, or ``devices`` (a mesh with the axis ``"batch"`` is
    made over them), or neither (all devices). A mesh with more axes is accepted with a
    warning: batches are split over its first axis.

    Args:
        device_mesh: The mesh.
        devices: Devices (names from :func:`list_devices` or JAX device objects).
        auto_shard_dataset: See :class:`Distribution`.

    Raises:
        ValueError: If both ``device_mesh`` and ``devices`` are given, or
            ``device_mesh`` is not a :class:`DeviceMesh`.

    Example::

        set_distribution(DataParallel())  # all devices
        model.fit(x, y, batch_size=64)    # 64 / number of devices rows per device
    """

    def __init__(
        self,
        device_mesh: DeviceMesh | None = None,
        devices: Sequence[Any] | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if device_mesh is not None:
            if devices is not None:
                raise ValueError("Give DataParallel either `device_mesh` or `devices`, not both.")
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    f"`device_mesh` must be a DeviceMesh; received {type(device_mesh).__name__}."
                )
            if len(device_mesh.shape) != 1:
                warnings.warn(
                    f"DataParallel expects a 1-D mesh; received one of shape "
                    f"{device_mesh.shape}. Batches are split over its first axis "
                    f"{device_mesh.axis_names[0]!r}.",
                    stacklevel=2,
                )
        else:
            devs = np.array(list_devices() if devices is None or not len(devices) else devices)
            device_mesh = DeviceMesh((devs.size,), (DEFAULT_BATCH_DIM_NAME,), devs)
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        """Every device holds a replica: the number of devices."""
        return int(self.device_mesh.devices.size)


class ModelParallel(Distribution):
    """Variables laid out by a :class:`LayoutMap`; batches split over the batch axis.

    A variable whose path (``"<layer name>/<weight name>"``) no key matches is
    replicated. Layouts are checked against the variables' shapes before anything
    compiles.

    Args:
        layout_map: Layouts by variable path; its mesh is the distribution's.
        batch_dim_name: The mesh axis that splits batches (default: the first axis).
        auto_shard_dataset: See :class:`Distribution`.
        **kwargs: ``device_mesh`` is accepted, as Keras accepts it; it must be the
            layout map's mesh.

    Raises:
        ValueError: Without a LayoutMap, with a ``device_mesh`` that is not the layout
            map's, or with several processes that the replicas do not divide.
        TypeError: For any other keyword argument.

    Example::

        mesh = DeviceMesh((2, 2), ("batch", "model"))
        layout_map = LayoutMap(mesh)
        layout_map["dense.*/kernel"] = (None, "model")
        with ModelParallel(layout_map=layout_map).scope():
            model.fit(x, y, batch_size=64)
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        **kwargs: Any,
    ) -> None:
        device_mesh = kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected keyword arguments {sorted(kwargs)}.")
        if layout_map is None:
            raise ValueError("ModelParallel needs a `layout_map`.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                f"`layout_map` must be a LayoutMap; received {type(layout_map).__name__}."
            )
        mesh = layout_map.device_mesh
        if device_mesh is not None and device_mesh is not mesh:
            raise ValueError(
                "ModelParallel uses the layout map's mesh; the `device_mesh` given is a "
                "different one. Leave `device_mesh` out."
            )
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map
        replicas, processes = self.num_model_replicas, self._num_processes
        if processes > replicas and processes % replicas:
            raise ValueError(
                f"With more processes ({processes}) than model replicas ({replicas}), the "
                "replicas must divide the processes: change the batch axis's size."
            )

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout map's layout for ``variable.path``, else replicated."""
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return super().get_variable_layout(variable)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout map's layout for ``path`` (e.g. ``"dense/output"``), or None."""
        return self._layout_map[path]


_current: dict[str, Distribution | None] = {"distribution": None}


def set_distribution(value: Distribution | None) -> None:
    """Sets the distribution that ``fit`` / ``evaluate`` / ``predict`` use (None: off).

    Args:
        value: The distribution.
    """
    _current["distribution"] = value


def distribution() -> Distribution | None:
    """The current distribution, or None."""
    return _current["distribution"]
