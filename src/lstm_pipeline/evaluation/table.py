"""The predictions table: one row per window end, horizon step and target, in original units.

Columns: ``window_end`` (timestamp of the window's last input), ``horizon_step`` (1-based),
``target``, ``actual``, ``predicted`` (the model) and one column per baseline, float64; a
model with a quantile head adds one column per level other than the median (``q0.1``,
``q0.9``: the median is ``predicted``). Rows run window by window, then step, then target,
so a run of ``horizon * targets`` rows is one window. The file carries the lineage of the
run that wrote it in its key-value metadata.

    >>> write_predictions(path, job.tables(), lineage=job.lineage)   # streaming, any size
    >>> table = PredictionsTable(path)
    >>> for block in table.blocks(["load"], horizon=24, windows_per_block=512): ...
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BASELINES = ("persistence", "seasonal_naive", "drift", "train_mean")
FORECASTERS = ("model", *BASELINES)
FORECAST_COLUMNS = {"model": "predicted", **{name: name for name in BASELINES}}
LINEAGE_KEY = b"lstm_pipeline.lineage"

MEDIAN = 0.5  # a quantile head's median is the point forecast: the predicted column


def quantile_column(level: float) -> str:
    """The predictions column of a quantile level: 0.1 -> ``q0.1`` (shortest exact text)."""
    return f"q{float(level)!r}"


def quantile_columns_in(names: Sequence[str]) -> list[float]:
    """The levels of the quantile columns among ``names``, ascending (the median excluded)."""
    return sorted(float(name[1:]) for name in names if _is_quantile_column(name))


def _is_quantile_column(name: str) -> bool:
    try:
        return name.startswith("q") and quantile_column(float(name[1:])) == name
    except ValueError:
        return False


def predictions_schema(levels: Sequence[float] = (), many: bool = False) -> pa.Schema:
    """The table's schema; ``levels`` (other than the median) add their quantile columns,
    ``many`` (series) a last ``series`` column naming each row's series."""
    return pa.schema(
        [
            ("window_end", pa.timestamp("ns")),
            ("horizon_step", pa.int16()),
            ("target", pa.string()),
            ("actual", pa.float64()),
            *((column, pa.float64()) for column in FORECAST_COLUMNS.values()),
            *((quantile_column(q), pa.float64()) for q in levels if q != MEDIAN),
            *([("series", pa.string())] if many else []),
        ]
    )


SCHEMA = predictions_schema()  # a point forecaster's table


@dataclass
class ForecastBlock:
    """Consecutive test windows: ``first`` is the number of the first one (reading order),
    ``ends`` their end timestamps (ns), ``actual`` and each of ``forecasts`` (one per
    forecaster) of shape (windows, horizon, targets), float64 in original units.
    ``quantiles``: a quantile head's forecasts per level other than the median (which is
    ``forecasts["model"]``), same shape; empty for a point forecaster."""

    first: int
    ends: np.ndarray
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    series: str | None = None  # many series: the one these windows belong to

    def __len__(self) -> int:
        return len(self.ends)

    def slice(self, start: int, stop: int) -> "ForecastBlock":
        """Windows ``start`` .. ``stop - 1`` of the block."""
        part = slice(start, stop)
        return ForecastBlock(
            self.first + start,
            self.ends[part],
            self.actual[part],
            {name: values[part] for name, values in self.forecasts.items()},
            {level: values[part] for level, values in self.quantiles.items()},
            self.series,
        )

    def quantile_forecasts(self) -> dict[float, np.ndarray]:
        """Every level's forecast, the median included, ascending; empty without quantiles."""
        if not self.quantiles:
            return {}
        every = {**self.quantiles, MEDIAN: self.forecasts["model"]}
        return {level: every[level] for level in sorted(every)}


def block_to_table(block: ForecastBlock, targets: Sequence[str]) -> pa.Table:
    """The rows of ``block`` (window, then step, then target), with
    :func:`predictions_schema` of its quantile levels (:data:`SCHEMA` without)."""
    windows, horizon, n_targets = block.actual.shape
    levels = sorted(block.quantiles)
    columns = [
        pa.array(np.repeat(block.ends, horizon * n_targets).astype("datetime64[ns]")),
        pa.array(np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), windows), pa.int16()),
        pa.array(np.tile(np.asarray(targets, dtype=object), windows * horizon), pa.string()),
        pa.array(block.actual.reshape(-1), pa.float64()),
        *(pa.array(block.forecasts[name].reshape(-1), pa.float64()) for name in FORECASTERS),
        *(pa.array(block.quantiles[q].reshape(-1), pa.float64()) for q in levels),
    ]
    many = block.series is not None
    if many:
        columns.append(pa.array([block.series] * (windows * horizon * n_targets), pa.string()))
    return pa.Table.from_arrays(columns, schema=predictions_schema(levels, many))


def write_predictions(path: str | Path, tables: Iterable[pa.Table], lineage=None) -> int:
    """Write ``tables`` one after the other into one Parquet file at ``path`` (never more
    than one in memory), with ``lineage`` as JSON in the file's metadata. The first table's
    quantile columns, if any, set the schema. Returns the rows written; an empty iterable
    still writes an (empty) table."""
    tables = iter(tables)
    first = next(tables, None)
    levels = quantile_columns_in(first.column_names) if first is not None else []
    schema = predictions_schema(levels, first is not None and "series" in first.column_names)
    schema = schema.with_metadata({LINEAGE_KEY: json.dumps(lineage).encode()})
    rows = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for table in chain([first] if first is not None else [], tables):
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
    def quantile_levels(self) -> list[float]:
        """The levels of the table's quantile columns (the median excluded; [] without)."""
        return quantile_columns_in(self.file.schema_arrow.names)

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
        first, levels = 0, self.quantile_levels
        for table in _whole_windows(self.file, rows_per_window, windows_per_block):
            block = _table_to_block(table, first, horizon, len(targets), levels)
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


def _table_to_block(
    table: pa.Table, first: int, horizon: int, n_targets: int, levels: Sequence[float] = ()
) -> ForecastBlock:
    shape = (-1, horizon, n_targets)

    def values(column: str) -> np.ndarray:
        return table.column(column).to_numpy().astype(np.float64).reshape(shape)

    ends = table.column("window_end").to_numpy().astype("datetime64[ns]").view(np.int64)
    return ForecastBlock(
        first=first,
        ends=ends[:: horizon * n_targets],
        actual=values("actual"),
        forecasts={name: values(column) for name, column in FORECAST_COLUMNS.items()},
        quantiles={q: values(quantile_column(q)) for q in levels},
    )
