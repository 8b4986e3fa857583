"""Artifacts on object storage (``s3://``, ``gs://``, ``abfs://`` ...) through fsspec.

Object stores have no rename and no partial reads of a half-written object, but a put is
atomic: the object appears whole or not at all. A file opened for writing on a store is
committed when it closes, even when the write failed (s3fs leaves a 0-byte or truncated
object at the final key), so nothing here ever streams into a final key: every artifact is
written to a local scratch file first and put in one piece (:func:`upload`). Loads that need
a local file (HDF5, TFRecord, Keras, lazy Parquet) copy the object into a local cache keyed
by its content (:func:`stage_file`), so a repeated load downloads nothing.

Every failure of the store is raised as :class:`StorageError` naming the URL and what to do.

    >>> remote = open_remote("s3://bucket/run/08_reporting", credentials={"key": "..."})
    >>> upload(remote, Path("report.md"), "report.md")   # s3://bucket/run/08_reporting/report.md
"""

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
from fsspec.utils import get_protocol

from lstm_pipeline.errors import StorageError
from lstm_pipeline.files import atomic_target

# where staged copies of remote artifacts live unless a catalog entry names its own `cache`
# (relative to the project folder, where `kedro run` starts; data/ is git-ignored)
DEFAULT_CACHE = "data/.remote_cache"
# botocore's own exceptions (s3fs lets these through untranslated); matched by name so
# that this module never imports botocore
_CREDENTIAL_ERRORS = ("NoCredentialsError", "PartialCredentialsError", "NoRegionError")
_CONNECTION_ERRORS = ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError")


def is_remote(path: str | Path) -> bool:
    """Whether ``path`` names an object on a remote file system (a URL like ``s3://...``)."""
    return get_protocol(str(path)) not in ("file", "local")


@dataclass(frozen=True)
class Remote:
    """A location on a remote file system: its ``url`` (``s3://bucket/prefix``), the fsspec
    file system and ``root``, the path that file system knows it by (``bucket/prefix``)."""

    url: str
    fs: Any
    root: str

    def key(self, *parts: str) -> str:
        """The file system's path of ``parts`` below the root (the root itself without)."""
        return "/".join([self.root.rstrip("/"), *parts]) if parts else self.root

    def url_of(self, *parts: str) -> str:
        """The URL of ``parts`` below the root, for messages and for what loads return."""
        return "/".join([self.url.rstrip("/"), *parts]) if parts else self.url


def open_remote(
    url: str, credentials: dict[str, Any] | None = None, fs_args: dict[str, Any] | None = None
) -> Remote:
    """The :class:`Remote` of ``url``. ``credentials`` (from Kedro's credentials.yml) and
    ``fs_args`` go to the file system's constructor: for S3 ``key``, ``secret``,
    ``endpoint_url`` and ``client_kwargs: {region_name: ...}``."""
    with storage_errors(url):
        fs, root = fsspec.core.url_to_fs(url, **(credentials or {}), **(fs_args or {}))
    return Remote(url=url.rstrip("/"), fs=fs, root=root.rstrip("/"))


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Raise what the store raised in the block as :class:`StorageError` naming ``url``."""
    try:
        yield
    except Exception as exc:
        error = storage_error(url, exc)
        if error is None:
            raise
        raise error from exc


def storage_error(url: str, exc: BaseException) -> StorageError | None:
    """``exc``, raised by the store of ``url``, as a :class:`StorageError` saying what to
    check; ``None`` for an exception that is not the store's."""
    name = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        return StorageError(
            f"'{url}' does not exist: the bucket or the object is missing ({exc}). Check the "
            f"catalog path, create the bucket, or run the pipeline that writes it."
        )
    if isinstance(exc, PermissionError):
        return StorageError(
            f"Access to '{url}' was refused ({exc}): the credentials are wrong or may not use "
            f"this bucket. Check the catalog entry's `credentials` (credentials.yml of the run's "
            f"environment)."
        )
    if name in _CREDENTIAL_ERRORS:
        return StorageError(
            f"No usable credentials for '{url}' ({exc}). Name a `credentials` entry of "
            f"credentials.yml in the catalog entry, or set AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY."
        )
    if name in _CONNECTION_ERRORS:
        return StorageError(
            f"The store of '{url}' cannot be reached ({exc}): check `endpoint_url` in the "
            f"credentials and the network."
        )
    if isinstance(exc, OSError):
        return StorageError(f"The store refused '{url}': {exc}")
    return None


def upload(remote: Remote, local: Path, *parts: str) -> None:
    """Put the local file ``local`` at ``parts`` below ``remote`` in one piece (a put is
    atomic on object stores: a failed one leaves the previous object as it was)."""
    with storage_errors(remote.url_of(*parts)):
        remote.fs.put_file(str(local), remote.key(*parts))
        remote.fs.invalidate_cache(remote.key(*parts))


def put_bytes(remote: Remote, data: bytes, *parts: str) -> None:
    """Put ``data`` at ``parts`` below ``remote`` in one piece."""
    with storage_errors(remote.url_of(*parts)):
        remote.fs.pipe_file(remote.key(*parts), data)
        remote.fs.invalidate_cache(remote.key(*parts))


def read_bytes(remote: Remote, *parts: str) -> bytes:
    """The whole object at ``parts`` below ``remote``."""
    with storage_errors(remote.url_of(*parts)):
        return remote.fs.cat_file(remote.key(*parts))


def download(remote: Remote, local: Path, *parts: str) -> None:
    """Copy the object at ``parts`` below ``remote`` to the local file ``local``."""
    with storage_errors(remote.url_of(*parts)):
        remote.fs.get_file(remote.key(*parts), str(local))


def exists(remote: Remote, *parts: str) -> bool:
    """Whether an object (or a prefix) exists at ``parts`` below ``remote``."""
    with storage_errors(remote.url_of(*parts)):
        remote.fs.invalidate_cache(remote.key(*parts))
        return remote.fs.exists(remote.key(*parts))


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A local folder for writing an artifact before it is put; removed when done."""
    folder = tempfile.mkdtemp(prefix="lstm_pipeline-upload-")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cache_folder(remote: Remote, cache: str | Path) -> Path:
    """The folder of ``cache`` that holds the staged copies of ``remote`` (one per
    content): named after a hash of the URL, so two entries never share one."""
    return Path(cache) / hashlib.sha256(remote.url.encode()).hexdigest()[:16]


def stage_file(remote: Remote, cache: str | Path) -> Path:
    """A local copy of the object ``remote``, downloaded once per content into ``cache``
    (keyed by the store's fingerprint of the object: ETag, size, time), written atomically
    so that a killed download never leaves a truncated copy to be trusted."""
    name = remote.url.rsplit("/", 1)[-1]
    with storage_errors(remote.url):
        remote.fs.invalidate_cache(remote.root)
        fingerprint = remote.fs.ukey(remote.root)
    target = cache_folder(remote, cache) / fingerprint[:32] / name
    if not target.is_file():
        with atomic_target(target) as temporary:
            download(remote, temporary)
    return target
