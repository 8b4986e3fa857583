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
    """

    def __init__(
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._as_pandas = bool((load_args or {}).get("pandas", False))
        self.metadata = metadata

    def load(self) -> PredictionsTable | pd.DataFrame:
        """A lazy :class:`PredictionsTable`, or a DataFrame with ``load_args: {pandas: true}``."""
        table = PredictionsTable(self._filepath)
        if not self._as_pandas:
            return table
        frame = table.to_pandas()
        frame.attrs["lineage"] = table.lineage
        return frame

    def save(self, data: PredictionJob | pd.DataFrame) -> None:
        """Run ``data`` (or write the DataFrame) into a temporary, renamed into place."""
        with atomic_target(self._filepath) as temporary:
            if isinstance(data, PredictionJob):
                write_predictions(temporary, data.tables(), data.lineage)
            elif isinstance(data, pd.DataFrame):
                _write_frame(temporary, data)
            else:
                raise DatasetError(
                    f"{self._filepath}: expected a PredictionJob or a DataFrame, got "
                    f"{type(data).__name__}"
                )

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "pandas": self._as_pandas}

    def preview(self, nrows: int = 10) -> TablePreview:
        """kedro-viz: the first rows."""
        batch = next(PredictionsTable(self._filepath).file.iter_batches(batch_size=nrows))
        return TablePreview(batch.to_pandas().astype(str).to_dict(orient="split"))


def _write_frame(path: Path, frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lineage = json.dumps(frame.attrs.get("lineage")).encode()
    metadata = {**(table.schema.metadata or {}), LINEAGE_KEY: lineage}
    pq.write_table(table.replace_schema_metadata(metadata), str(path))
