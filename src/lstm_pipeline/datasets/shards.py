"""Catalog entry for a folder of shards (HDF5 or TFRecord) plus manifest.json: windows
(forecasting) or labelled sequences (classification)."""

import json
import shutil
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import JSONPreview

from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.files import atomic_target, exclusive_lock, recover
from lstm_pipeline.storage import DEFAULT_CACHE, is_remote, open_remote
from lstm_pipeline.storage.remote import scratch_folder
from lstm_pipeline.storage.shards import (
    keep_in_cache,
    manifest_exists,
    read_remote_manifest,
    stage_shard_folder,
    upload_shard_folder,
)
from lstm_pipeline.windows.choices import FORMATS, VERIFY
from lstm_pipeline.windows.manifest import MANIFEST
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.writing import ShardJob


class WindowShardsDataset(AbstractDataset[ShardJob, ShardSet]):
    """Save runs a :class:`~lstm_pipeline.windows.writing.WindowingJob` or a
    :class:`~lstm_pipeline.windows.case_writing.SequenceJob` (both ``ShardJob``s;
    streaming, into a temporary folder swapped into place, under a lock on the folder: a
    second writer fails at once naming the first); load returns a verified, lazy
    :class:`ShardSet` for ``make_dataset`` (``verify``: size and SHA-256 of every shard,
    and every shard's own attributes against the manifest). Both first clear what a killed
    run left: a folder retired by a half-done swap is put back, temporaries of writers no
    longer running are removed.

    Example catalog entry::

        "{split}_shards":
          type: lstm_pipeline.datasets.WindowShardsDataset
          path: data/05_model_input/{split}_shards
          verify: sha256        # sha256 | size | none, checked on load

    On object storage (``path: s3://bucket/run/train_shards``, ``credentials`` from
    conf/local/credentials.yml): save writes the folder locally, then puts the shards and
    the manifest last (see :mod:`lstm_pipeline.storage.shards`); load stages the folder into
    ``cache`` (a local folder, keyed by the manifest's SHA-256) and opens that copy.
    """

    def __init__(
        self,
        path: str,
        format: str | None = None,  # noqa: A002 - the catalog key users expect
        verify: str = "sha256",
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        cache: str = DEFAULT_CACHE,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if format not in (None, *FORMATS):
            raise DatasetError(f"format must be one of {FORMATS} or null, got {format!r}")
        if verify not in VERIFY:
            raise DatasetError(f"verify must be one of {VERIFY}, got {verify!r}")
        self._remote = open_remote(path, credentials, fs_args) if is_remote(path) else None
        self._path = Path(path)  # local folders only
        self._where = path
        self._cache = cache
        self._format = format
        self._verify = verify
        self.metadata = metadata

    def load(self) -> ShardSet:
        """The verified shard folder; raises ShardIntegrityError naming what is wrong."""
        if self._remote is not None:
            return self._load_remote()
        recover(self._path)
        return ShardSet(self._path, verify=self._verify)

    def _load_remote(self) -> ShardSet:
        """The verified local copy of the remote folder; a copy that fails verification is
        removed (the next load downloads it again) and the error names the URL too."""
        folder = stage_shard_folder(self._remote, self._cache)
        try:
            return ShardSet(folder, verify=self._verify)
        except ShardIntegrityError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ShardIntegrityError(
                f"{exc} (in the local copy of '{self._remote.url}': the objects in the store "
                f"are damaged or were replaced behind the manifest)"
            ) from exc

    def save(self, data: ShardJob) -> None:
        """Run ``data`` into a temporary folder and swap it into place; raises LockHeldError
        naming the pid of another process writing the same folder."""
        if not isinstance(data, ShardJob):
            raise DatasetError(f"{self._where}: expected a ShardJob, got {type(data).__name__}")
        if self._remote is not None:
            self._save_remote(data)
            return
        with exclusive_lock(self._path), atomic_target(self._path) as temporary:
            data.write(temporary, fmt=self._format)

    def _save_remote(self, data: ShardJob) -> None:
        """Write the folder locally, put it (manifest last), keep it as the staged copy."""
        with scratch_folder() as scratch:
            local = scratch / "shards"
            data.write(local, fmt=self._format)
            upload_shard_folder(local, self._remote)
            keep_in_cache(local, self._remote, self._cache)

    def _exists(self) -> bool:
        if self._remote is not None:
            return manifest_exists(self._remote)
        recover(self._path)
        return (self._path / MANIFEST).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": self._where, "format": self._format, "verify": self._verify}

    def preview(self) -> JSONPreview:
        """kedro-viz: the manifest without the per-segment table."""
        if self._remote is not None:
            manifest = json.loads(read_remote_manifest(self._remote))
        else:
            manifest = json.loads((self._path / MANIFEST).read_text())
        manifest.pop("segments", None)
        return JSONPreview(json.dumps(manifest))
