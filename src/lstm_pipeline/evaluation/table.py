"""The predictions table: one row per window end, horizon step and target, in original units.

Columns: ``window_end`` (timestamp of the window's last input), ``horizon_step`` (1-based),
``target``, ``actual``, ``predicted`` (the model) and one column per baseline, float64. Rows
run window by window, then step, then target, so a run of ``horizon * targets`` rows is one
window. The file carries the lineage of the run that wrote it in its key-value metadata.

    >>> write_predictions(path, job.tables(), lineage=job.lineage)   # streaming, any size
    >>> table = PredictionsTable(path)
    >>> for block in table.blocks(["load"], horizon=24, windows_per_block=512): ...
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BASELINES = ("persistence", "seasonal_naive", "drift", "train_mean")
FORECASTERS = ("model", *BASELINES)
FORECAST_COLUMNS = {"model": "predicted", **{name: name for name in BASELINES}}
LINEAGE_KEY = b"lstm_pipeline.lineage"

SCHEMA = pa.schema(
    [
        ("window_end", pa.timestamp("ns")),
        ("horizon_step", pa.int16()),
        ("target", pa.string()),
        ("actual", pa.float64()),
        *((column, pa.float64()) for column in FORECAST_COLUMNS.values()),
    ]
)


@dataclass
class ForecastBlock:
    """Consecutive test windows: ``first`` is the number of the first one (reading order),
    ``ends`` their end timestamps (ns), ``actual`` and each of ``forecasts`` (one per
    forecaster) of shape (windows, horizon, targets), float64 in original units."""

    first: int
    ends: np.ndarray
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ends)


def block_to_table(block: ForecastBlock, targets: Sequence[str]) -> pa.Table:
    """The rows of ``block`` (window, then step, then target), with :data:`SCHEMA`."""
    windows, horizon, n_targets = block.actual.shape
    columns = [
        pa.array(np.repeat(block.ends, horizon * n_targets).astype("datetime64[ns]")),
        pa.array(np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), windows), pa.int16()),
        pa.array(np.tile(np.asarray(targets, dtype=object), windows * horizon), pa.string()),
        pa.array(block.actual.reshape(-1), pa.float64()),
        *(pa.array(block.forecasts[name].reshape(-1), pa.float64()) for name in FORECASTERS),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def write_predictions(path: str | Path, tables: Iterable[pa.Table], lineage=None) -> int:
    """Write ``tables`` one after the other into one Parquet file at ``path`` (never more
    than one in memory), with ``lineage`` as JSON in the file's metadata. Returns the rows
    written; an empty iterable still writes an (empty) table."""
    schema = SCHEMA.with_metadata({LINEAGE_KEY: json.dumps(lineage).encode()})
    rows = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for table in tables:
            writer.write_table(table.cast(schema))
            rows += table.num_rows
    return rows


class PredictionsTable:
    """A written predictions file, read lazily: ``lineage``, ``num_rows``, ``blocks()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.file = pq.ParquetFile(self.path)

    def __repr__(self) -> str:
        return f"PredictionsTable('{self.path}', {self.num_rows} rows)"

    @property
    def num_rows(self) -> int:
        """Rows in the file (windows x horizon x targets)."""
        return self.file.metadata.num_rows

    @property
    def lineage(self) -> dict | None:
        """Which run wrote the table (None for a table written without one)."""
        stored = (self.file.schema_arrow.metadata or {}).get(LINEAGE_KEY)
        return json.loads(stored) if stored else None

    def to_pandas(self):
        """The whole table as a DataFrame (small tables only)."""
        return self.file.read().to_pandas()

    def blocks(
        self, targets: Sequence[str], horizon: int, windows_per_block: int
    ) -> Iterator[ForecastBlock]:
        """The table back as :class:`ForecastBlock` s of up to ``windows_per_block``
        windows, streamed in file order."""
        rows_per_window = horizon * len(targets)
        first = 0
        for table in _whole_windows(self.file, rows_per_window, windows_per_block):
            block = _table_to_block(table, first, horizon, len(targets))
            first += len(block)
            yield block


def _whole_windows(file: pq.ParquetFile, rows_per_window: int, windows: int):
    # Parquet batches may end mid-window (row groups): carry the rest into the next one
    batch_rows = rows_per_window * windows
    pending = None
    for batch in file.iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        pending = table if pending is None else pa.concat_tables([pending, table])
        whole = pending.num_rows - pending.num_rows % rows_per_window
        if whole:
            yield pending.slice(0, whole)
            pending = pending.slice(whole)
    if pending is not None and pending.num_rows:
        raise ValueError(
            f"The predictions table ends with {pending.num_rows} rows, not a whole window of "
            f"{rows_per_window}: it was cut short; run the evaluation pipeline again."
        )


def _table_to_block(table: pa.Table, first: int, horizon: int, n_targets: int) -> ForecastBlock:
    shape = (-1, horizon, n_targets)

    def values(column: str) -> np.ndarray:
        return table.column(column).to_numpy().astype(np.float64).reshape(shape)

    ends = table.column("window_end").to_numpy().astype("datetime64[ns]").view(np.int64)
    return ForecastBlock(
        first=first,
        ends=ends[:: horizon * n_targets],
        actual=values("actual"),
        forecasts={name: values(column) for name, column in FORECAST_COLUMNS.items()},
    )
