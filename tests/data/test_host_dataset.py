"""``HostDataset`` against plain Python / NumPy, ``timeseries_dataset_from_array``
against NumPy windows, and the Keras names of the data helpers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from kerax.utils import HostDataset, split_dataset, timeseries_dataset_from_array
from kerax.utils._host_dataset import INFINITE, UNKNOWN

X = np.arange(10) * 10
Y = np.arange(10)


def rows(ds):
    return [tuple(int(v) for v in e) if isinstance(e, tuple) else int(e) for e in ds]


def test_transformations_follow_tf_data():
    ds = HostDataset.from_tensor_slices((X, Y))
    assert len(ds) == 10 and rows(ds) == list(zip(X.tolist(), Y.tolist()))
    mapped = ds.map(lambda x, y: (x + 1, y * 2))
    assert rows(mapped) == [(x + 1, y * 2) for x, y in zip(X, Y)]
    batched = ds.batch(4)
    assert len(batched) == 3 and [len(b[0]) for b in batched] == [4, 4, 2]
    assert len(ds.batch(4, drop_remainder=True)) == 2
    np.testing.assert_array_equal(next(iter(batched))[0], X[:4])
    assert rows(batched.unbatch()) == rows(ds)
    assert batched.unbatch().cardinality() == UNKNOWN
    assert rows(ds.filter(lambda x, y: y % 3 == 0)) == [(0, 0), (30, 3), (60, 6), (90, 9)]
    assert rows(ds.skip(7)) == rows(ds)[7:] and len(ds.skip(7)) == 3
    assert rows(ds.take(2)) == rows(ds)[:2] and len(ds.take(20)) == 10
    assert rows(ds.repeat(2)) == rows(ds) * 2 and len(ds.repeat(2)) == 20
    forever = ds.repeat()
    assert forever.cardinality() == INFINITE and len(forever.take(25)) == 25
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert ds.prefetch(3) is ds
    dicts = HostDataset.from_tensor_slices({"a": X, "b": Y}).batch(5)
    assert sorted(next(iter(dicts))) == ["a", "b"]


def test_shuffle_is_a_permutation_redrawn_each_pass():
    ds = HostDataset.from_tensor_slices(Y).shuffle(4, seed=1)
    first, second = rows(ds), rows(ds)
    assert sorted(first) == sorted(second) == list(range(10))
    assert first != second
    again = HostDataset.from_tensor_slices(Y).shuffle(4, seed=1)
    assert rows(again) == first  # the same seed, the same orders
    fixed = HostDataset.from_tensor_slices(Y).shuffle(10, seed=1, reshuffle_each_iteration=False)
    assert rows(fixed) == rows(fixed)


def test_cache_replays_the_first_pass():
    calls = []
    ds = HostDataset.from_tensor_slices(Y).map(lambda v: calls.append(v) or v).cache()
    assert rows(ds) == rows(ds) == list(range(10))
    assert len(calls) == 10
    with pytest.raises(ValueError, match="memory only"):
        ds.cache("file.cache")


def numpy_windows(data, targets, length, stride=1, rate=1, start=0, end=None):
    end = len(data) if end is None else end
    out_x, out_y = [], []
    i = start
    while i + (length - 1) * rate < end and (targets is None or i - start < len(targets)):
        out_x.append(data[i : i + (length - 1) * rate + 1 : rate])
        if targets is not None:
            out_y.append(targets[i])
        i += stride
    return np.array(out_x), np.array(out_y)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence_length": 3},
        {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2},
        {"sequence_length": 2, "start_index": 5, "end_index": 17},
    ],
)
def test_timeseries_windows(kwargs):
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 100
    ds = timeseries_dataset_from_array(data, targets, batch_size=4, **kwargs)
    x = np.concatenate([b[0] for b in ds])
    y = np.concatenate([b[1] for b in ds])
    ex, ey = numpy_windows(
        data,
        targets,
        kwargs["sequence_length"],
        kwargs.get("sequence_stride", 1),
        kwargs.get("sampling_rate", 1),
        kwargs.get("start_index", 0),
        kwargs.get("end_index"),
    )
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    assert len(ds) == -(-len(ex) // 4)
    shuffled = timeseries_dataset_from_array(
        data, targets, batch_size=4, shuffle=True, seed=2, **kwargs
    )
    pairs = sorted((tuple(w.ravel()), t) for b in shuffled for w, t in zip(*b))
    assert pairs == sorted((tuple(w.ravel()), t) for w, t in zip(ex, ey))
    only = timeseries_dataset_from_array(data, None, batch_size=None, **kwargs)
    np.testing.assert_array_equal(np.stack(list(only)), ex)


def test_timeseries_argument_errors():
    with pytest.raises(ValueError, match="sampling_rate"):
        timeseries_dataset_from_array(np.arange(5), None, 2, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index"):
        timeseries_dataset_from_array(np.arange(5), None, 2, start_index=3, end_index=2)


def test_split_a_host_dataset():
    ds = HostDataset.from_tensor_slices((X, Y))
    left, right = split_dataset(ds, left_size=0.8)
    assert rows(left) == rows(ds)[:8] and rows(right) == rows(ds)[8:]


def test_keras_names():
    assert kerax.preprocessing.sequence.pad_sequences is kerax.utils.pad_sequences
    for name in ("array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"):
        assert hasattr(kerax.preprocessing.image, name) and hasattr(keras.preprocessing.image, name)
    for name in (
        "image_dataset_from_directory",
        "text_dataset_from_directory",
        "timeseries_dataset_from_array",
    ):
        assert getattr(kerax.preprocessing, name) is getattr(kerax.utils, name)
        assert hasattr(keras.preprocessing, name)
    seqs = [[1, 2, 3], [4]]
    np.testing.assert_array_equal(
        kerax.preprocessing.sequence.pad_sequences(seqs, maxlen=2, value=9),
        keras.preprocessing.sequence.pad_sequences(seqs, maxlen=2, value=9),
    )


def test_from_tensor_slices_takes_a_features_dict_and_labels():
    # The first line of Keras's structured-data examples.
    features = {"age": np.arange(5), "city": np.array(list("abcab"))}
    labels = np.arange(5) % 2
    ds = HostDataset.from_tensor_slices((features, labels))
    assert len(ds) == 5
    first = next(iter(ds))
    assert first[0]["age"] == 0 and first[0]["city"] == "a" and first[1] == 0
    (x, y), *_ = list(ds.batch(2))
    np.testing.assert_array_equal(x["age"], [0, 1])
    np.testing.assert_array_equal(x["city"], ["a", "b"])
    np.testing.assert_array_equal(y, [0, 1])
    with pytest.raises(ValueError, match="same number of rows"):
        HostDataset.from_tensor_slices(({"a": np.arange(3)}, np.arange(4)))
