"""``HostDataset``: the small NumPy dataset that kerax's dataset builders return.

Keras's builders (``image_dataset_from_directory``, ``timeseries_dataset_from_array``,
...) return ``tf.data.Dataset`` objects; kerax has no TensorFlow, so they return this
instead: a re-iterable sequence of *elements* (usually batches) of NumPy arrays, each an
array, a tuple ``(x, y)`` / ``(x, y, sample_weight)`` or a dict. ``fit``, ``evaluate``
and ``predict`` take it directly, as any iterable of batches; every ``iter()`` starts a
new pass (an epoch), reading files again where the builder reads files.

It has the chainable methods Keras examples call on a ``tf.data.Dataset``, with
``tf.data``'s meaning: ``map``, ``filter``, ``shuffle``, ``batch``, ``unbatch``,
``take``, ``skip``, ``repeat``, ``cache``, ``prefetch``, ``as_numpy_iterator`` and
``cardinality``. Everything runs on the host, in order, in the thread that iterates:

- ``prefetch(n)`` returns the dataset unchanged (nothing runs ahead of use);
- ``map``'s ``num_parallel_calls`` and ``deterministic`` are performance hints in
  ``tf.data``; here elements are always mapped one by one, in order;
- ``cache()`` keeps the elements of the first complete pass in memory and replays them
  (a file name is refused: there is no file cache).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["INFINITE", "UNKNOWN", "HostDataset"]

INFINITE = -1  # cardinality() of a repeat() without count, as tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # cardinality() after filter() / unbatch(), as tf.data.UNKNOWN_CARDINALITY


def _stack(elements: list[Any]) -> Any:
    """Stacks same-structured elements along a new first axis."""
    first = elements[0]
    if isinstance(first, Mapping):
        return {k: _stack([e[k] for e in elements]) for k in first}
    if isinstance(first, tuple | list):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    return np.stack([np.asarray(e) for e in elements])


def _as_arrays(data: Any) -> Any:
    """``data`` with every leaf an array; dicts and tuples keep their structure."""
    if isinstance(data, Mapping):
        return {k: _as_arrays(v) for k, v in data.items()}
    if isinstance(data, tuple):
        return tuple(_as_arrays(v) for v in data)
    return np.asarray(data)


def _leaves(data: Any) -> list[np.ndarray]:
    if isinstance(data, Mapping):
        return [leaf for v in data.values() for leaf in _leaves(v)]
    if isinstance(data, tuple):
        return [leaf for v in data for leaf in _leaves(v)]
    return [data]


def _rows(batch: Any) -> Iterator[Any]:
    """Splits a batch into its rows (the inverse of :func:`_stack`)."""
    if isinstance(batch, Mapping):
        keys = list(batch)
        columns = [list(_rows(batch[k])) for k in keys]
        for row in zip(*columns):
            yield dict(zip(keys, row))
    elif isinstance(batch, tuple | list):
        yield from zip(*(list(_rows(part)) for part in batch))
    else:
        yield from np.asarray(batch)


def _call(fn: Callable[..., Any], element: Any) -> Any:
    """Calls ``fn`` as ``tf.data`` does: a tuple element is spread over the arguments."""
    return fn(*element) if isinstance(element, tuple) else fn(element)


class HostDataset:
    """A re-iterable dataset of NumPy elements (see the module docstring).

    Args:
        make_iterator: Returns a fresh iterator over the elements; called once per pass.
        cardinality: The number of elements, :data:`INFINITE` or :data:`UNKNOWN`.

    Attributes:
        class_names: The class names, on datasets made from class folders (as Keras's
            builders set them); None otherwise.
        file_paths: The files of the examples, in order, where a builder read files.
    """

    def __init__(self, make_iterator: Callable[[], Iterator[Any]], cardinality: int = UNKNOWN):
        self._make = make_iterator
        self._cardinality = int(cardinality)
        self.class_names: list[str] | None = None
        self.file_paths: list[str] | None = None

    @classmethod
    def from_tensor_slices(cls, data: Any) -> HostDataset:
        """One element per row of ``data``: an array, or a tuple / dict of them, nested
        (``(features_dict, labels)``), every array with the same number of rows. A list
        is one array, as in ``tf.data``."""
        arrays = _as_arrays(data)
        lengths = {len(a) if a.ndim else None for a in _leaves(arrays)}
        if None in lengths:
            raise ValueError("from_tensor_slices needs arrays with a first axis to slice.")
        if len(lengths) != 1:
            raise ValueError(
                f"All arrays must have the same number of rows; received {sorted(lengths)}."
            )
        n = lengths.pop()
        return cls(lambda: _rows(arrays), n)

    @classmethod
    def from_iterable(cls, iterable: Iterable[Any], cardinality: int = UNKNOWN) -> HostDataset:
        """Elements from a re-iterable (a list, a tuple); each pass calls ``iter`` on it."""
        return cls(lambda: iter(iterable), cardinality)

    # -- iteration ---------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        return iter(self._make())

    def as_numpy_iterator(self) -> Iterator[Any]:
        """An iterator over the elements (they are NumPy already)."""
        return iter(self)

    def cardinality(self) -> int:
        """The number of elements, :data:`INFINITE` (-1) or :data:`UNKNOWN` (-2)."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite (repeat() without count); it has no len().")
        if self._cardinality == UNKNOWN:
            raise TypeError(
                "The dataset's length is unknown (after filter() or unbatch()); iterate to count."
            )
        return self._cardinality

    def __repr__(self) -> str:
        n = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        names = f", class_names={self.class_names}" if self.class_names else ""
        return f"<HostDataset cardinality={n}{names}>"

    def _derive(self, make: Callable[[], Iterator[Any]], cardinality: int) -> HostDataset:
        return HostDataset(make, cardinality)

    # -- transformations ---------------------------------------------------------------

    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
    ) -> HostDataset:
        """Applies ``map_func`` to every element (a tuple element is spread over its
        arguments: ``map(lambda x, y: (x / 255, y))``).

        Args:
            map_func: The function.
            num_parallel_calls: Accepted for ``tf.data`` code; elements are mapped one by
                one, in order, whatever its value.
            deterministic: Likewise; the order is always kept.
        """
        del num_parallel_calls, deterministic  # performance hints only (module docstring)
        return self._derive(lambda: (_call(map_func, e) for e in self), self._cardinality)

    def filter(self, predicate: Callable[..., Any]) -> HostDataset:
        """Keeps the elements for which ``predicate`` is true."""
        return self._derive(lambda: (e for e in self if bool(_call(predicate, e))), UNKNOWN)

    def shuffle(
        self,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool = True,
    ) -> HostDataset:
        """Shuffles with a buffer of ``buffer_size`` elements, as ``tf.data`` does: each
        element out is drawn at random from the buffer, which the next element in
        refills (a buffer at least as large as the dataset shuffles it uniformly).

        Args:
            buffer_size: The buffer's size (at least 1).
            seed: The seed; a fresh random order each pass when None.
            reshuffle_each_iteration: With a seed, whether each pass draws a new order
                (reproducibly) or repeats the first one.
        """
        if int(buffer_size) < 1:
            raise ValueError(f"`buffer_size` must be at least 1; received {buffer_size}.")
        passes = itertools.count()

        def make() -> Iterator[Any]:
            n = next(passes) if reshuffle_each_iteration else 0
            rng = np.random.default_rng(None if seed is None else [int(seed), n])
            buffer: list[Any] = []
            for element in self:
                buffer.append(element)
                if len(buffer) >= buffer_size:
                    i = int(rng.integers(len(buffer)))
                    buffer[i], buffer[-1] = buffer[-1], buffer[i]
                    yield buffer.pop()
            while buffer:
                i = int(rng.integers(len(buffer)))
                buffer[i], buffer[-1] = buffer[-1], buffer[i]
                yield buffer.pop()

        return self._derive(make, self._cardinality)

    def batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
    ) -> HostDataset:
        """Stacks consecutive elements into batches of ``batch_size`` (the last one
        smaller unless ``drop_remainder``). ``num_parallel_calls`` and ``deterministic``
        are accepted as hints (see :meth:`map`)."""
        del num_parallel_calls, deterministic
        size = int(batch_size)
        if size < 1:
            raise ValueError(f"`batch_size` must be at least 1; received {batch_size}.")

        def make() -> Iterator[Any]:
            it = iter(self)
            while chunk := list(itertools.islice(it, size)):
                if len(chunk) < size and drop_remainder:
                    return
                yield _stack(chunk)

        n = self._cardinality
        if n >= 0:
            n = n // size if drop_remainder else -(-n // size)
        return self._derive(make, n)

    def unbatch(self) -> HostDataset:
        """Splits every element (a batch) into its rows."""
        return self._derive(lambda: (r for e in self for r in _rows(e)), UNKNOWN)

    def take(self, count: int) -> HostDataset:
        """The first ``count`` elements (all of them for ``count=-1``)."""
        if count < 0:
            return self
        n = self._cardinality
        n = count if n == INFINITE else (min(n, count) if n >= 0 else UNKNOWN)
        return self._derive(lambda: itertools.islice(self, count), n)

    def skip(self, count: int) -> HostDataset:
        """All elements but the first ``count``."""
        n = self._cardinality
        n = max(n - count, 0) if n >= 0 else n
        return self._derive(lambda: itertools.islice(self, count, None), n)

    def repeat(self, count: int | None = None) -> HostDataset:
        """The elements ``count`` times over (forever when None or -1)."""
        forever = count is None or count < 0

        def make() -> Iterator[Any]:
            for _ in itertools.count() if forever else range(count):
                yield from self

        n = self._cardinality
        if forever:
            n = INFINITE if n != 0 else 0
        elif n >= 0:
            n *= count
        return self._derive(make, n)

    def prefetch(self, buffer_size: int | None = None) -> HostDataset:
        """Returns the dataset unchanged: elements are prepared when they are used."""
        del buffer_size
        return self

    def cache(self, filename: str = "") -> HostDataset:
        """Keeps the elements of the first complete pass in memory; later passes replay
        them (a pass stopped early caches nothing).

        Raises:
            ValueError: For a ``filename``: there is no file cache.
        """
        if filename:
            raise ValueError(
                f"`cache(filename={filename!r})`: kerax datasets cache in memory only; call "
                "`cache()` without a file name."
            )
        store: list[list[Any]] = []

        def make() -> Iterator[Any]:
            if store:
                yield from store[0]
                return
            seen = []
            for element in self:
                seen.append(element)
                yield element
            store.append(seen)

        return self._derive(make, self._cardinality)
