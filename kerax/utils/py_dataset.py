"""``PyDataset`` (formerly ``Sequence``): batches computed by Python code, by index.

Subclass it, call ``super().__init__(**kwargs)``, and define ``__len__`` (or the
``num_batches`` property) and ``__getitem__(index)`` returning one batch: ``x``,
``(x,)``, ``(x, y)``, ``(x, y, sample_weight)`` or a dict of inputs. ``fit``,
``evaluate`` and ``predict`` take the object directly.

Iterating the object is one epoch: ``on_epoch_begin()`` runs first, then the batches
come in index order, then ``on_epoch_end()`` runs once the last batch has been taken
(the iteration that finds no batch left runs it). A ``fit`` iterates once per epoch,
so the hooks run between epochs, as in Keras; ``evaluate`` and ``predict`` make one pass.
An infinite dataset (``num_batches`` None) never ends an epoch by itself; give ``fit`` a
``steps_per_epoch``.

With ``workers > 1``, a thread pool prepares up to ``max_queue_size`` batches ahead of
the one in use, in order. ``use_multiprocessing=True`` also runs the workers in threads
(with a warning): a process forked after JAX has started its own threads can deadlock,
and ``__getitem__`` that spends its time in NumPy, file reads or image decoding releases
the GIL, so threads already run it in parallel.
"""

from __future__ import annotations

import collections
import itertools
import random
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class of datasets whose batches a Python method computes, by index.

    Args:
        workers: Threads preparing batches ahead of use (1: each batch is computed when
            it is needed, in the iterating thread).
        use_multiprocessing: Accepted for Keras code; the workers are threads either way
            (see the module docstring), and True warns once per dataset.
        max_queue_size: How many batches may be prepared ahead of the one in use, with
            ``workers > 1``.

    Example:
        ```python
        class Batches(kerax.utils.PyDataset):
            def __init__(self, x, y, batch_size, **kwargs):
                super().__init__(**kwargs)
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return math.ceil(len(self.x) / self.batch_size)

            def __getitem__(self, idx):
                s = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
                return self.x[s], self.y[s]

        model.fit(Batches(x, y, 32, workers=4), epochs=3)
        ```
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        if int(workers) < 0 or int(max_queue_size) < 1:
            raise ValueError(
                "`workers` must be at least 0 and `max_queue_size` at least 1; received "
                f"workers={workers}, max_queue_size={max_queue_size}."
            )
        self._workers = int(workers)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    def _setting(self, name: str, default: Any) -> Any:
        if not hasattr(self, "_" + name):
            warnings.warn(
                f"{type(self).__name__} did not call `super().__init__(**kwargs)` in its "
                f"`__init__`; using the default {name}={default!r}. Call it so that "
                "`workers`, `use_multiprocessing` and `max_queue_size` are honoured.",
                stacklevel=3,
            )
            setattr(self, "_" + name, default)
        return getattr(self, "_" + name)

    @property
    def workers(self) -> int:
        return self._setting("workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = int(value)

    @property
    def use_multiprocessing(self) -> bool:
        return self._setting("use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self) -> int:
        return self._setting("max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = int(value)

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``; subclasses define it."""
        raise NotImplementedError(
            f"{type(self).__name__} must define `__getitem__(self, index)` returning a batch."
        )

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)``), or None for an infinite dataset."""
        if hasattr(self, "__len__"):
            return len(self)  # type: ignore[arg-type]
        raise NotImplementedError(
            f"{type(self).__name__} must define `__len__` or the `num_batches` property "
            "(returning None for an infinite dataset)."
        )

    def on_epoch_begin(self) -> None:
        """Called before the first batch of every epoch."""

    def on_epoch_end(self) -> None:
        """Called after the last batch of every epoch."""

    def __iter__(self) -> Iterator[Any]:
        """One epoch: ``on_epoch_begin``, the batches in order, ``on_epoch_end``."""
        return self.epoch()

    def epoch(self, shuffle: bool = False) -> Iterator[Any]:
        """One epoch: ``on_epoch_begin``, the batches, ``on_epoch_end``.

        Args:
            shuffle: Serve the batches in a random order (Python's ``random``, which
                ``kerax.utils.set_random_seed`` seeds), as ``fit(shuffle=True)`` does in
                Keras; an infinite dataset is served in order.
        """
        n = self.num_batches
        if n is None:
            indices: Any = itertools.count()
        else:
            indices = list(range(n))
            if shuffle:
                random.shuffle(indices)
        workers = self.workers
        if self.use_multiprocessing and not getattr(self, "_warned_processes", False):
            self._warned_processes = True
            warnings.warn(
                f"{type(self).__name__}: use_multiprocessing=True runs the {workers} "
                "worker(s) in threads: forking a process that runs JAX can deadlock.",
                stacklevel=2,
            )
        self.on_epoch_begin()
        if workers > 1:
            yield from self._threaded(indices, workers)
        else:
            for i in indices:
                yield self[i]
        self.on_epoch_end()

    def _threaded(self, indices: Any, workers: int) -> Iterator[Any]:
        """The batches, computed by ``workers`` threads at most ``max_queue_size``
        ahead, in order. Leaving early cancels what was not started."""
        ahead = max(self.max_queue_size, 1)
        pending: collections.deque[Future] = collections.deque()
        pool = ThreadPoolExecutor(workers, thread_name_prefix=f"{type(self).__name__}-worker")
        it = iter(indices)
        try:
            for i in itertools.islice(it, ahead):
                pending.append(pool.submit(self.__getitem__, i))
            while pending:
                batch = pending.popleft().result()
                for i in itertools.islice(it, 1):
                    pending.append(pool.submit(self.__getitem__, i))
                yield batch
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)


Sequence = PyDataset
"""Keras 2's name of :class:`PyDataset`."""
