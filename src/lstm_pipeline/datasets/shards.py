"""Catalog entry for a folder of shards (HDF5 or TFRecord) plus manifest.json: windows
(forecasting) or labelled sequences (classification)."""

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import JSONPreview

from lstm_pipeline.files import atomic_target, exclusive_lock, recover
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
    """

    def __init__(
        self,
        path: str,
        format: str | None = None,  # noqa: A002 - the catalog key users expect
        verify: str = "sha256",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if format not in (None, *FORMATS):
            raise DatasetError(f"format must be one of {FORMATS} or null, got {format!r}")
        if verify not in VERIFY:
            raise DatasetError(f"verify must be one of {VERIFY}, got {verify!r}")
        self._path = Path(path)
        self._format = format
        self._verify = verify
        self.metadata = metadata

    def load(self) -> ShardSet:
        """The verified shard folder; raises ShardIntegrityError naming what is wrong."""
        recover(self._path)
        return ShardSet(self._path, verify=self._verify)

    def save(self, data: ShardJob) -> None:
        """Run ``data`` into a temporary folder and swap it into place; raises LockHeldError
        naming the pid of another process writing the same folder."""
        if not isinstance(data, ShardJob):
            raise DatasetError(f"{self._path}: expected a ShardJob, got {type(data).__name__}")
        with exclusive_lock(self._path), atomic_target(self._path) as temporary:
            data.write(temporary, fmt=self._format)

    def _exists(self) -> bool:
        recover(self._path)
        return (self._path / MANIFEST).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "format": self._format, "verify": self._verify}

    def preview(self) -> JSONPreview:
        """kedro-viz: the manifest without the per-segment table."""
        manifest = json.loads((self._path / MANIFEST).read_text())
        manifest.pop("segments", None)
        return JSONPreview(json.dumps(manifest))
