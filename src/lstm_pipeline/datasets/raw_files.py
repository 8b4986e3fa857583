"""A catalog entry for raw time-series files: one file or a folder of data files.

Data files are the forecasting formats (CSV, compressed CSV, Parquet) and the labelled ones
(``.ts``, ``.tsv``/``.txt``, ``.h5``/``.hdf5``); the ingestion node keeps those its task reads.

Loading returns the list of files, not their contents: the ingestion node reads them chunk by
chunk with its validated parameters, so memory stays bounded whatever the size on disk.
"""

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import JSONPreview

from lstm_pipeline.ingest.labelled.read import LABELLED_SUFFIXES
from lstm_pipeline.ingest.reading import SUPPORTED_SUFFIXES, list_raw_files

RAW_SUFFIXES = tuple(dict.fromkeys(SUPPORTED_SUFFIXES + LABELLED_SUFFIXES))


class RawFilesDataset(AbstractDataset[None, list[Path]]):
    """Read-only dataset pointing at raw files.

    Example catalog entry::

        raw_files:
          type: lstm_pipeline.datasets.RawFilesDataset
          path: data/01_raw/household_power   # a file or a folder
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> list[Path]:
        return list_raw_files(self._path, RAW_SUFFIXES)

    def save(self, data: None) -> None:
        raise DatasetError(f"RawFilesDataset '{self._path}' is read-only: raw data is an input.")

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def preview(self) -> JSONPreview:
        """kedro-viz: the files and their sizes."""
        files = list_raw_files(self._path, RAW_SUFFIXES) if self._path.exists() else []
        return JSONPreview(json.dumps([{"file": f.name, "bytes": f.stat().st_size} for f in files]))
