"""Catalog entry for a folder of window shards (HDF5 or TFRecord) plus manifest.json."""

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import JSONPreview

from lstm_pipeline.windows.manifest import MANIFEST
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.writing import WindowingJob


class WindowShardsDataset(AbstractDataset[WindowingJob, ShardSet]):
    """Save runs a :class:`WindowingJob` (streaming, into a temporary folder renamed into
    place); load returns a verified, lazy :class:`ShardSet` for ``make_dataset``.

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
        if format not in (None, "hdf5", "tfrecord"):
            raise DatasetError(f"format must be hdf5, tfrecord or null, got {format!r}")
        self._path = Path(path)
        self._format = format
        self._verify = verify
        self.metadata = metadata

    def load(self) -> ShardSet:
        return ShardSet(self._path, verify=self._verify)

    def save(self, data: WindowingJob) -> None:
        if not isinstance(data, WindowingJob):
            raise DatasetError(f"{self._path}: expected a WindowingJob, got {type(data).__name__}")
        self._path.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        temporary = self._path.with_name(f".{self._path.name}.tmp-{token}")
        retired = self._path.with_name(f".{self._path.name}.old-{token}")
        try:
            data.write(temporary, fmt=self._format)
            # a folder cannot be replaced in one rename: retire the old one, then swap
            if self._path.exists():
                os.rename(self._path, retired)
            try:
                os.rename(temporary, self._path)
            except OSError:
                if retired.exists():
                    os.rename(retired, self._path)
                raise
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)

    def _exists(self) -> bool:
        return (self._path / MANIFEST).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "format": self._format, "verify": self._verify}

    def preview(self) -> JSONPreview:
        """kedro-viz: the manifest without the per-segment table."""
        manifest = json.loads((self._path / MANIFEST).read_text())
        manifest.pop("segments", None)
        return JSONPreview(json.dumps(manifest))
