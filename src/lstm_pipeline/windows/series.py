"""A normalised split on disk, read in row batches so it is never whole in memory."""

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lstm_pipeline.timegrid import TimeGrid, infer_grid
from lstm_pipeline.windows.writing import SeriesSource

BATCH_ROWS = 65_536


class ParquetSeries(SeriesSource):
    """Lazy handle on a series Parquet file written by the normalisation pipeline."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        schema = self._file.schema_arrow
        index = (schema.pandas_metadata or {}).get("index_columns", [])
        if not index or not isinstance(index[0], str):
            raise ValueError(f"'{self.path}' has no time index column (written by pandas?)")
        self.index_column = index[0]
        self.columns = [n for n in schema.names if n != self.index_column]
        self.num_rows = self._file.metadata.num_rows
        self.name = self.path.name.split(".")[0]
        attrs = self._attrs()
        self.series = attrs.get("series")  # many series: [[name, rows], ...]
        self.series_input = attrs.get("series_input")  # none | onehot | embedding
        self.series_count = attrs.get("series_count", 0)  # every series of the run
        recorded = attrs.get("frequency")
        self.grid = TimeGrid(recorded) if recorded else self._inferred_frequency()

    @property
    def lineage(self) -> dict | None:
        """Which run made this file (pandas keeps a DataFrame's ``attrs`` in the metadata)."""
        return self._attrs().get("lineage")

    def _attrs(self) -> dict:
        attributes = (self._file.schema_arrow.metadata or {}).get(b"PANDAS_ATTRS")
        return json.loads(attributes) if attributes else {}

    def _inferred_frequency(self) -> TimeGrid | None:
        """A file without a recorded frequency (written by hand): its first row group's;
        None for fewer than two rows (nothing to window, nothing to infer from)."""
        if self.num_rows < 2:
            return None
        first = self._file.read_row_group(0, columns=[self.index_column]).column(0)
        stamps = pd.DatetimeIndex(first.to_numpy().astype("datetime64[ns]"))
        try:
            return infer_grid(stamps)
        except ValueError as exc:
            raise ValueError(f"'{self.path}' records no frequency, and {exc}") from exc

    def __repr__(self) -> str:
        return f"ParquetSeries('{self.path}', {self.num_rows} rows x {self.columns})"

    def batches(
        self, columns: Sequence[str], batch_rows: int = BATCH_ROWS
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(timestamps ns, float32 values in ``columns`` order) per batch, in time order."""
        wanted = [self.index_column, *columns]
        for batch in self._file.iter_batches(batch_size=batch_rows, columns=wanted):
            stamps = batch.column(0).to_numpy().astype("datetime64[ns]").view(np.int64)
            values = np.column_stack(
                [batch.column(i + 1).to_numpy(zero_copy_only=False) for i in range(len(columns))]
            ).astype(np.float32, copy=False)
            yield stamps, values

    def to_pandas(self) -> pd.DataFrame:
        """The whole split in memory (for small data and evaluation, never for windowing)."""
        return pd.read_parquet(self.path)
