"""Catalog entry for the predictions table, written by the dataset itself, streaming."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from lstm_pipeline.evaluation.predicting import PredictionJob
from lstm_pipeline.evaluation.table import LINEAGE_KEY, PredictionsTable, write_predictions
from lstm_pipeline.files import atomic_target
from lstm_pipeline.storage import DEFAULT_CACHE, is_remote, open_remote
from lstm_pipeline.storage.remote import exists, scratch_folder, stage_file, upload


class StreamedParquetDataset(AbstractDataset[PredictionJob, PredictionsTable]):
    """Save runs a :class:`PredictionJob`: its tables are written one by one into a hidden
    temporary beside the target, renamed into place when complete (the test split is never
    whole in memory, and a failed run leaves the previous table as it was). The job's
    ``lineage`` goes into the file's key-value metadata (``lstm_pipeline.lineage``, JSON).

    Load returns a lazy :class:`PredictionsTable` (``.lineage``, ``.num_rows``,
    ``.blocks()``, ``.to_pandas()``), or a DataFrame with ``load_args: {pandas: true}``
    (its ``attrs["lineage"]`` set). A DataFrame can be saved too (small tables, tests).

    Example catalog entry::

        predictions:
          type: lstm_pipeline.datasets.StreamedParquetDataset
          filepath: data/07_model_output/predictions.parquet

    On object storage (``filepath: s3://...``, ``credentials``) the table is written
    locally and put in one piece; load reads a copy staged in ``cache`` (the table is read
    lazily, block by block), downloaded once per version of the object.
    """

    def __init__(  # noqa: PLR0913 - the catalog's keys
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        cache: str = DEFAULT_CACHE,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._remote = open_remote(filepath, credentials, fs_args) if is_remote(filepath) else None
        self._filepath = Path(filepath)  # local files only
        self._where = filepath
        self._cache = cache
        self._as_pandas = bool((load_args or {}).get("pandas", False))
        self.metadata = metadata

    def _local_file(self) -> Path:
        """The file read: the local one, or the staged copy of the remote one."""
        if self._remote is None:
            return self._filepath
        return stage_file(self._remote, self._cache)

    def load(self) -> PredictionsTable | pd.DataFrame:
        """A lazy :class:`PredictionsTable`, or a DataFrame with ``load_args: {pandas: true}``."""
        table = PredictionsTable(self._local_file())
        if not self._as_pandas:
            return table
        frame = table.to_pandas()
        frame.attrs["lineage"] = table.lineage
        return frame

    def save(self, data: PredictionJob | pd.DataFrame) -> None:
        """Run ``data`` (or write the DataFrame) into a temporary, renamed into place (or,
        on object storage, put at the target in one piece)."""
        if not isinstance(data, PredictionJob | pd.DataFrame):
            raise DatasetError(
                f"{self._where}: expected a PredictionJob or a DataFrame, got {type(data).__name__}"
            )
        if self._remote is None:
            with atomic_target(self._filepath) as temporary:
                _write(temporary, data)
            return
        with scratch_folder() as scratch:
            local = scratch / "predictions.parquet"
            _write(local, data)
            upload(self._remote, local)

    def _exists(self) -> bool:
        if self._remote is not None:
            return exists(self._remote)
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._where, "pandas": self._as_pandas}

    def preview(self, nrows: int = 10) -> TablePreview:
        """kedro-viz: the first rows."""
        batch = next(PredictionsTable(self._local_file()).file.iter_batches(batch_size=nrows))
        return TablePreview(batch.to_pandas().astype(str).to_dict(orient="split"))


def _write(path: Path, data: PredictionJob | pd.DataFrame) -> None:
    if isinstance(data, PredictionJob):
        write_predictions(path, data.tables(), data.lineage)
    else:
        _write_frame(path, data)


def _write_frame(path: Path, frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lineage = json.dumps(frame.attrs.get("lineage")).encode()
    metadata = {**(table.schema.metadata or {}), LINEAGE_KEY: lineage}
    pq.write_table(table.replace_schema_metadata(metadata), str(path))
