"""``kerax.utils.get_file`` against ``keras.utils.get_file`` on ``file://`` URLs (no
network): the same paths under the cache, the same files, the same checks."""

from __future__ import annotations

import hashlib
import io
import tarfile
import urllib.error
import urllib.request
import zipfile

import keras
import pytest

from kerax.utils import DownloadError, get_file


@pytest.fixture
def origins(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "data.txt").write_text("hello")
    with tarfile.open(src / "pack.tar.gz", "w:gz") as tar:
        raw = b"inside the tar"
        info = tarfile.TarInfo("pack/a.txt")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.writestr("pack/b.txt", "inside the zip")
    return {name: (src / name).as_uri() for name in ("data.txt", "pack.tar.gz", "pack.zip")}


def both(tmp_path, **kwargs):
    """The path each library returns, relative to its own cache folder (which exists:
    Keras falls back to ``/tmp/.keras`` for a ``cache_dir`` it cannot write to)."""
    (tmp_path / "ours").mkdir(exist_ok=True)
    (tmp_path / "keras").mkdir(exist_ok=True)
    ours = get_file(cache_dir=str(tmp_path / "ours"), **kwargs)
    theirs = keras.utils.get_file(cache_dir=str(tmp_path / "keras"), **kwargs)
    rel_ours = ours.removeprefix(str(tmp_path / "ours"))
    rel_theirs = theirs.removeprefix(str(tmp_path / "keras"))
    assert rel_ours == rel_theirs
    return ours, theirs


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "kwargs, inside",
    [
        ({"fname": "data.txt", "origin": "data.txt"}, None),
        ({"origin": "data.txt", "cache_subdir": "mine"}, None),
        ({"fname": "pack", "origin": "pack.tar.gz", "extract": True}, "pack/a.txt"),
        ({"fname": "pack.tar.gz", "origin": "pack.tar.gz", "extract": True}, "pack/a.txt"),
        ({"origin": "pack.zip", "extract": True}, "pack/b.txt"),
        ({"fname": "legacy", "origin": "pack.tar.gz", "untar": True}, "pack/a.txt"),
    ],
)
def test_layout_matches_keras(tmp_path, origins, kwargs, inside):
    kwargs = {**kwargs, "origin": origins[kwargs["origin"]]}
    ours, theirs = both(tmp_path, **kwargs)
    if inside is None:
        assert open(ours).read() == open(theirs).read() == "hello"
    else:
        assert open(f"{ours}/{inside}").read() == open(f"{theirs}/{inside}").read()


def test_hashes_and_the_cache(tmp_path, origins, monkeypatch):
    good = sha256(b"hello")
    md5 = hashlib.md5(b"hello").hexdigest()
    both(tmp_path, fname="d.txt", origin=origins["data.txt"], file_hash=good)
    keras.utils.get_file(
        "pack", origins["pack.tar.gz"], extract=True, cache_dir=str(tmp_path / "keras")
    )
    both(tmp_path, fname="m.txt", origin=origins["data.txt"], md5_hash=md5)
    both(tmp_path, fname="a.txt", origin=origins["data.txt"], file_hash=md5, hash_algorithm="md5")
    with pytest.raises(ValueError, match="expected"):
        get_file("bad.txt", origins["data.txt"], file_hash="0" * 64, cache_dir=str(tmp_path))
    with pytest.raises(ValueError):
        keras.utils.get_file(
            "bad.txt", origins["data.txt"], file_hash="0" * 64, cache_dir=str(tmp_path)
        )

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    # Cached files (with the right hash) are used without any download; a file Keras
    # put in its cache is found too.
    cache = str(tmp_path / "keras")
    assert get_file("d.txt", origins["data.txt"], file_hash=good, cache_dir=cache)
    assert get_file("pack", origins["pack.tar.gz"], extract=True, cache_dir=cache)
    with pytest.raises(DownloadError, match="does not have the expected hash") as err:
        get_file("d.txt", origins["data.txt"], file_hash=md5[::-1], cache_dir=cache)
    assert origins["data.txt"] in str(err.value) and "d.txt" in str(err.value)
    with pytest.raises(DownloadError, match="not in the cache"):
        get_file("new.txt", origins["data.txt"], cache_dir=cache, force_download=False)


def test_keras_home_and_arguments(tmp_path, origins, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file(origin=origins["data.txt"])
    assert path == str(tmp_path / "home" / "datasets" / "data.txt")
    absolute = get_file(origin=origins["data.txt"], cache_subdir=str(tmp_path / "abs"))
    assert absolute == str(tmp_path / "abs" / "data.txt")
    with pytest.raises(ValueError, match="origin"):
        get_file("x.txt")
    with pytest.raises(ValueError, match="not a path"):
        get_file("a/b.txt", origins["data.txt"])
    with pytest.raises(ValueError, match="not an archive"):
        get_file("plain", origins["data.txt"], extract=True, cache_dir=str(tmp_path))


def test_unsafe_archive_member_is_refused(tmp_path):
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="Unsafe"):
        get_file("bad", bad.as_uri(), extract=True, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "c" / "escape.txt").exists()
