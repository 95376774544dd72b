"""The dataset loaders on small files in Keras's formats, in a temporary Keras cache,
against what the real ``keras.datasets`` loaders read from the same files."""

from __future__ import annotations

import gzip
import importlib
import io
import json
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

import kerax
from kerax.utils.file_utils import DownloadError, hash_file

RNG = np.random.default_rng(0)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty Keras home (``KERAS_HOME``), and no network: any download fails."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", offline)
    (tmp_path / "datasets").mkdir()
    return tmp_path


def keras_load(monkeypatch, home, name, *args, **kwargs):
    """Runs ``keras.datasets.<name>.load_data`` reading from ``home`` (Keras fixes its
    home at import, so its ``get_file`` gets ``cache_dir``; the small files' hashes are
    not Keras's, so the hash check is left out)."""
    from keras.src.utils.file_utils import get_file as real

    mod = importlib.import_module(f"keras.src.datasets.{name}")

    def get_file(*a, file_hash=None, **kw):
        return real(*a, cache_dir=str(home), **kw)

    monkeypatch.setattr(mod, "get_file", get_file)
    return mod.load_data(*args, **kwargs)


def pin_hash(monkeypatch, module, path, attr="_FILE_HASH"):
    monkeypatch.setattr(module, attr, hash_file(path))


def assert_same(ours, theirs):
    (a, b), (c, d) = ours
    (e, f), (g, h) = theirs
    for mine, keras_ in ((a, e), (b, f), (c, g), (d, h)):
        mine, keras_ = np.asarray(mine), np.asarray(keras_)
        if mine.dtype == object:
            assert [list(s) for s in mine] == [list(s) for s in keras_]
        else:
            assert mine.dtype == keras_.dtype and mine.shape == keras_.shape
            np.testing.assert_array_equal(mine, keras_)


def test_mnist(cache, monkeypatch):
    path = cache / "datasets" / "mnist.npz"
    arrays = {
        "x_train": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": RNG.integers(0, 10, 5, dtype=np.uint8),
        "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": RNG.integers(0, 10, 3, dtype=np.uint8),
    }
    np.savez(path, **arrays)
    pin_hash(monkeypatch, kerax.datasets.mnist, path)
    ours = kerax.datasets.mnist.load_data()
    assert_same(ours, keras_load(monkeypatch, cache, "mnist"))
    np.testing.assert_array_equal(ours[0][0], arrays["x_train"])


def test_fashion_mnist(cache, monkeypatch):
    folder = cache / "datasets" / "fashion-mnist"
    folder.mkdir()
    for part, n in (("train", 4), ("t10k", 2)):
        labels = RNG.integers(0, 10, n, dtype=np.uint8)
        images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        for kind, header, data in (("labels-idx1", 8, labels), ("images-idx3", 16, images)):
            with gzip.open(folder / f"{part}-{kind}-ubyte.gz", "wb") as f:
                f.write(b"\0" * header + data.tobytes())
    assert_same(
        kerax.datasets.fashion_mnist.load_data(), keras_load(monkeypatch, cache, "fashion_mnist")
    )


def _tar_of_pickles(path, folder, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, obj in members.items():
            raw = pickle.dumps(obj, protocol=3)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_cifar10(cache, monkeypatch):
    # Keras's loader needs 10,000 images per training batch; these batches are small,
    # so the parity check is per batch (Keras's ``load_batch``) and NumPy's transpose.
    from keras.src.datasets.cifar import load_batch as keras_load_batch

    archive = cache / "datasets" / "cifar-10-batches-py-target_archive"

    def batch(n):
        return {
            b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": [int(v) for v in RNG.integers(0, 10, n)],
        }

    members = {f"data_batch_{i}": batch(2) for i in range(1, 6)}
    members["test_batch"] = batch(3)
    _tar_of_pickles(archive, "cifar-10-batches-py", members)
    pin_hash(monkeypatch, kerax.datasets.cifar10, archive)
    (x, y), (xt, yt) = kerax.datasets.cifar10.load_data()
    train = [members[f"data_batch_{i}"] for i in range(1, 6)]
    images = np.concatenate([b[b"data"] for b in train]).reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(x, images.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y[:, 0], sum((b[b"labels"] for b in train), []))
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    assert xt.shape == (3, 32, 32, 3) and yt.shape == (3, 1)
    folder = cache / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    ours = kerax.datasets.cifar10.load_batch(str(folder / "test_batch"))
    theirs = keras_load_batch(str(folder / "test_batch"))
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert list(ours[1]) == list(theirs[1])


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(cache, monkeypatch, label_mode):
    archive = cache / "datasets" / "cifar-100-python-target_archive"

    def batch(n):
        return {
            b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"fine_labels": [int(v) for v in RNG.integers(0, 100, n)],
            b"coarse_labels": [int(v) for v in RNG.integers(0, 20, n)],
        }

    _tar_of_pickles(archive, "cifar-100-python", {"train": batch(4), "test": batch(2)})
    pin_hash(monkeypatch, kerax.datasets.cifar100, archive)
    ours = kerax.datasets.cifar100.load_data(label_mode)
    assert_same(ours, keras_load(monkeypatch, cache, "cifar100", label_mode))
    with pytest.raises(ValueError, match="label_mode"):
        kerax.datasets.cifar100.load_data("medium")


def _ragged(n, vocab=30):
    seqs = np.empty(n, dtype=object)
    seqs[:] = [[int(w) for w in RNG.integers(1, vocab, int(k))] for k in RNG.integers(2, 9, n)]
    return seqs


IMDB_CASES = [
    {},
    {"num_words": 12, "skip_top": 4},
    {"maxlen": 7, "index_from": 0, "start_char": None},
    {"num_words": 10, "oov_char": None, "seed": 5},
]


def test_imdb(cache, monkeypatch):
    path = cache / "datasets" / "imdb.npz"
    np.savez(
        path,
        x_train=_ragged(9),
        y_train=RNG.integers(0, 2, 9),
        x_test=_ragged(6),
        y_test=RNG.integers(0, 2, 6),
    )
    pin_hash(monkeypatch, kerax.datasets.imdb, path)
    for kwargs in IMDB_CASES:
        ours = kerax.datasets.imdb.load_data(**kwargs)
        assert_same(ours, keras_load(monkeypatch, cache, "imdb", **kwargs))
    with pytest.raises(ValueError, match="maxlen=2"):
        kerax.datasets.imdb.load_data(maxlen=2)


def test_reuters(cache, monkeypatch):
    path = cache / "datasets" / "reuters.npz"
    np.savez(path, x=_ragged(12), y=RNG.integers(0, 46, 12))
    pin_hash(monkeypatch, kerax.datasets.reuters, path)
    for kwargs in [*IMDB_CASES, {"test_split": 0.5, "num_words": 15}]:
        ours = kerax.datasets.reuters.load_data(**kwargs)
        assert_same(ours, keras_load(monkeypatch, cache, "reuters", **kwargs))
    import keras

    assert kerax.datasets.reuters.get_label_names() == keras.datasets.reuters.get_label_names()


@pytest.mark.parametrize("name", ["imdb", "reuters"])
def test_word_index(cache, monkeypatch, name):
    path = cache / "datasets" / f"{name}_word_index.json"
    path.write_text(json.dumps({"the": 1, "and": 2}))
    module = getattr(kerax.datasets, name)
    pin_hash(monkeypatch, module, path, "_INDEX_HASH")
    assert module.get_word_index() == {"the": 1, "and": 2}


@pytest.mark.parametrize("name, width", [("boston_housing", 13), ("california_housing", 8)])
def test_housing(cache, monkeypatch, name, width):
    path = cache / "datasets" / f"{name}.npz"
    np.savez(path, x=RNG.normal(size=(11, width)), y=RNG.normal(size=11))
    module = getattr(kerax.datasets, name)
    pin_hash(monkeypatch, module, path)
    for kwargs in ({}, {"test_split": 0.4, "seed": 3}):
        assert_same(module.load_data(**kwargs), keras_load(monkeypatch, cache, name, **kwargs))
    with pytest.raises(ValueError, match="test_split"):
        module.load_data(test_split=1.0)


def test_california_small_version(cache, monkeypatch):
    path = cache / "datasets" / "california_housing.npz"
    np.savez(path, x=RNG.normal(size=(700, 8)), y=RNG.normal(size=700))
    pin_hash(monkeypatch, kerax.datasets.california_housing, path)
    ours = kerax.datasets.california_housing.load_data(version="small")
    assert len(ours[0][0]) + len(ours[1][0]) == 600
    assert_same(ours, keras_load(monkeypatch, cache, "california_housing", version="small"))


def test_offline_without_cache_names_url_and_path(cache):
    with pytest.raises(DownloadError) as err:
        kerax.datasets.mnist.load_data()
    message = str(err.value)
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in message
    assert str(cache / "datasets" / "mnist.npz") in message


def test_wrong_hash_in_cache_is_not_used(cache):
    (cache / "datasets" / "mnist.npz").write_bytes(b"not mnist")
    with pytest.raises(DownloadError, match="expected hash"):
        kerax.datasets.mnist.load_data()


def test_refuses_code_in_pickles(cache, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    seqs = np.empty(2, dtype=object)
    seqs[:] = [Evil(), [1, 2]]
    path = cache / "datasets" / "reuters.npz"
    np.savez(path, x=seqs, y=np.zeros(2))
    pin_hash(monkeypatch, kerax.datasets.reuters, path)
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        kerax.datasets.reuters.load_data()


def test_bundled_digits_still_load():
    (x, y), (xt, yt) = kerax.datasets.digits.load_data()
    assert x.shape[1:] == (8, 8) and len(x) + len(xt) == 1797
