"""``get_file``: download once into Keras's cache, verify, extract.

The cache is Keras's own (``$KERAS_HOME`` or ``~/.keras``, subfolder ``datasets`` by
default), laid out as Keras lays it out, so a file Keras downloaded is found and reused
here without any network access, and the other way round.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["DownloadError", "extract_archive", "get_file", "hash_file", "keras_home"]


class DownloadError(OSError):
    """A file was neither in the cache nor downloadable (no network, a bad URL)."""


def keras_home() -> str:
    """Keras's home folder: ``$KERAS_HOME`` when set (read at each call), else
    ``~/.keras`` (``/tmp/.keras`` when the home folder is not writable)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = tempfile.gettempdir()
    return os.path.join(base, ".keras")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'; received {algorithm!r}."
        )
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is None:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: str | os.PathLike, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file.

    Args:
        fpath: The file.
        algorithm: ``"sha256"`` (default), ``"md5"``, or ``"auto"`` (sha256).
        chunk_size: Bytes read at a time.

    Returns:
        The digest as a hex string.
    """
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str | os.PathLike, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's digest is ``file_hash`` (``"auto"``: sha256 for a 64-digit
    hash, md5 otherwise)."""
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(65535), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash)


def _inside(root: Path, name: str) -> bool:
    target = (root / name).resolve()
    return target == root or root in target.parents


def extract_archive(
    file_path: str | os.PathLike, path: str | os.PathLike = ".", archive_format: Any = "auto"
) -> bool:
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into ``path``.

    Members that would land outside ``path`` (absolute names, ``..``, links out) are
    refused.

    Args:
        file_path: The archive.
        path: The folder to extract into (created if needed).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of
            those, or None (extract nothing).

    Returns:
        Whether the file was one of the formats and was extracted.

    Raises:
        ValueError: For an unknown format name, or an unsafe member.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    root = Path(path).resolve()
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ValueError(
                f"`archive_format` must be 'auto', 'tar', 'zip' or a list of them; "
                f"received {archive_format!r}."
            )
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    if not _inside(root, member.name):
                        raise ValueError(f"Unsafe member {member.name!r} in {file_path}.")
                _atomic_extract(root, lambda d, a=archive: _extract_tar(a, d))
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if not _inside(root, name):
                        raise ValueError(f"Unsafe member {name!r} in {file_path}.")
                _atomic_extract(root, archive.extractall)
            return True
    return False


def _extract_tar(archive: tarfile.TarFile, dest: Path) -> None:
    """``extractall`` with the standard library's "data" filter where it has one (no
    links out, no devices; Python 3.11.4+); member names are checked before either way."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(dest, filter="data")
    else:
        for member in archive.getmembers():
            if member.issym() or member.islnk() or member.isdev():
                raise ValueError(f"Unsafe member {member.name!r} (a link or device).")
        archive.extractall(dest)


def _atomic_extract(root: Path, extract: Any) -> None:
    """Extracts into a temporary sibling folder, then moves its content into ``root``,
    so an interrupted extraction leaves no half-filled folder behind."""
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-"))
    try:
        extract(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for item in tmp.iterdir():
            dest = root / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            elif dest.exists() or dest.is_symlink():
                dest.unlink()
            shutil.move(str(item), dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _download(origin: str, target: str, file_hash: str | None, stale: bool) -> None:
    why = (
        "the cached copy there does not have the expected hash"
        if stale
        else "it is not in the cache"
    )
    part = f"{target}.part"
    print(f"Downloading data from {origin}")
    try:
        with urllib.request.urlopen(origin) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, ValueError) as err:
        if os.path.exists(part):
            os.remove(part)
        check = f" (its hash must be {file_hash})" if file_hash else ""
        raise DownloadError(
            f"Could not download {origin}: {err}. It was needed because {why}. Without "
            f"network access, download it elsewhere and put it at {target}{check}; it is "
            "then read from there."
        ) from err
    os.replace(part, target)


def get_file(
    fname: str | os.PathLike | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: Any = "auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> str:
    """Returns the local path of the file at ``origin``, downloading it only when needed.

    The file is kept at ``cache_dir/cache_subdir/fname`` (Keras's layout). A file already
    there is reused; with a hash, it is reused only if it matches, and downloaded again
    otherwise. A download is checked against the hash too.

    Args:
        fname: The name of the file in the cache; the last part of ``origin``'s URL path
            when None. With ``extract``, a name without an extension names the folder of
            the extracted files (the archive is kept as ``NAME_archive``); a name with an
            extension names the archive (extracted into ``NAME_extracted``).
        origin: The URL of the file.
        untar: Deprecated form of ``extract=True`` with ``archive_format="tar"``.
        md5_hash: Deprecated form of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: The expected sha256 or md5 hex digest of the file.
        cache_subdir: Subfolder of ``cache_dir`` (an absolute path is used as is).
        hash_algorithm: ``"auto"`` (sha256 for a 64-digit hash, md5 otherwise),
            ``"sha256"`` or ``"md5"``.
        extract: Extract the archive (tar or zip) and return the folder of its content.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of those, or None.
        cache_dir: The cache root; ``$KERAS_HOME`` or ``~/.keras`` by default.
        force_download: Download even when a valid copy is cached.

    Returns:
        The path of the file, or, with ``extract``/``untar``, of the extraction folder.

    Raises:
        ValueError: Without ``origin``, with a path as ``fname``, or when a downloaded
            file does not have the expected hash.
        DownloadError: When the file must be downloaded and cannot be; the message names
            the URL and the path where to put the file by hand.
    """
    if origin is None:
        raise ValueError("`get_file` needs `origin`, the URL of the file to download.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(str(cache_dir if cache_dir is not None else keras_home()))
    if os.path.exists(base) and not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    given = fname is not None and str(fname) != ""
    name = os.fspath(fname) if given else ""
    if not given:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(f"No file name in the URL {origin!r}; pass `fname`.")
    elif os.sep in name:
        raise ValueError(
            f"`fname` is a file name, not a path; received fname={name!r}. Use `cache_dir` "
            "and `cache_subdir` to choose the folder."
        )

    if extract or untar:
        if given and "." in name:
            target = os.path.join(datadir, name)
            folder = os.path.join(datadir, f"{name[: name.find('.')]}_extracted")
        else:
            folder = os.path.join(datadir, name)
            target = os.path.join(datadir, f"{name}_archive")
    else:
        target, folder = os.path.join(datadir, name), None

    cached = os.path.exists(target)
    stale = (
        cached and file_hash is not None and not validate_file(target, file_hash, hash_algorithm)
    )
    fetched = force_download or not cached or stale
    if fetched:
        _download(origin, target, file_hash, stale)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(
                f"The file downloaded from {origin} to {target} does not have the expected "
                f"{hash_algorithm} hash {file_hash}: it is incomplete or was changed."
            )
    if folder is None:
        return target
    if fetched or not os.path.isdir(folder):
        fmt = "tar" if untar else archive_format
        if not extract_archive(target, folder, fmt):
            raise ValueError(
                f"{target} (from {origin}) is not an archive of format {fmt!r}; it could "
                "not be extracted."
            )
    return folder
