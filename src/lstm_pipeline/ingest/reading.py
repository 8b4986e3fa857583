"""Read raw time-series files in bounded memory.

Files are read chunk by chunk (CSV through pandas' C parser, Parquet by record batch); each
chunk is turned into int64 nanosecond timestamps and float32 columns at once, so the peak
memory is one chunk of strings plus the float32 result, never the whole file as text.

Example:
    >>> spec = TimestampSpec(date_column="Date", time_column="Time", format="%d/%m/%Y %H:%M:%S")
    >>> raw = read_raw_files([Path("power.csv.xz")], timestamp=spec, features=None,
    ...                      targets=["Global_active_power"], missing_markers=["?", ""])
    >>> raw.columns
    ['Global_active_power', ...]
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from lstm_pipeline.errors import (
    ColumnNotFoundError,
    NonNumericValueError,
    RawInputError,
    TimestampParseError,
)

logger = logging.getLogger(__name__)

CSV_COMPRESSION = {".gz": "gzip", ".xz": "xz", ".zst": "zstd", ".bz2": "bz2", ".csv": None}
SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".csv.bz2", ".parquet", ".pq")


@dataclass(frozen=True)
class TimestampSpec:
    """Where the timestamp comes from: one column, or a date column plus a time column."""

    column: str | None = None
    date_column: str | None = None
    time_column: str | None = None
    format: str | None = None

    @property
    def source_columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        return [c for c in (self.date_column, self.time_column) if c is not None]


@dataclass
class RawTable:
    """Everything read from the raw files, in file order (not yet sorted)."""

    timestamps: np.ndarray  # int64 nanoseconds since the epoch
    values: dict[str, np.ndarray]  # column -> float32, NaN where missing
    file_index: np.ndarray  # int32 index into `files`
    row_number: np.ndarray  # int64 line in a CSV file (header is line 1) or 1-based Parquet row
    files: list[dict] = field(default_factory=list)  # path, format, rows

    @property
    def columns(self) -> list[str]:
        return list(self.values)

    def location(self, i: int) -> str:
        """Human-readable origin of row ``i``: 'file.csv line 12'."""
        info = self.files[int(self.file_index[i])]
        unit = "line" if info["format"] == "csv" else "row"
        return f"{info['path']} {unit} {int(self.row_number[i])}"


def list_raw_files(path: str | Path) -> list[Path]:
    """Return the data files at ``path``: the file itself, or the supported files in a folder."""
    path = Path(path)
    if not path.exists():
        raise RawInputError(
            f"Raw input '{path}' does not exist. Put the data there or point the catalog "
            f"entry's 'path' at the right file or folder."
        )
    if path.is_file():
        if not _is_supported(path):
            raise RawInputError(
                f"Raw input '{path}' is not a supported file; expected one of {SUPPORTED_SUFFIXES}."
            )
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and _is_supported(p))
    if not files:
        raise RawInputError(
            f"Raw input folder '{path}' holds no data file; expected names ending in "
            f"{SUPPORTED_SUFFIXES}."
        )
    return files


def _is_supported(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(SUPPORTED_SUFFIXES)


def _file_format(path: Path) -> str:
    return "parquet" if path.name.lower().endswith((".parquet", ".pq")) else "csv"


def read_raw_files(
    files: Sequence[Path],
    *,
    timestamp: TimestampSpec,
    features: Sequence[str] | None,
    targets: Sequence[str],
    missing_markers: Sequence[str],
    chunk_rows: int = 250_000,
    csv_options: dict | None = None,
) -> RawTable:
    """Read ``files`` into one :class:`RawTable` with float32 columns.

    ``features=None`` takes every numeric column (a column is numeric when most of its
    non-missing values in the first chunk are numbers; a stray non-numeric value in it later
    is an error, never a silently dropped column). Targets are always kept.
    """
    stamps, file_idx, rows = [], [], []
    values: dict[str, list[np.ndarray]] = {}
    file_infos: list[dict] = []
    columns: list[str] | None = None
    csv_options = csv_options or {}
    started = time.perf_counter()
    for index, path in enumerate(files):
        fmt = _file_format(path)
        n_rows = 0
        if fmt == "parquet":
            chunks = _parquet_chunks(path, chunk_rows)
        else:
            if columns is None:
                sample = next(_csv_chunks(path, chunk_rows, missing_markers, csv_options), None)
                if sample is None:
                    raise RawInputError(
                        f"Raw file '{path}' has a header but no data rows. Remove it or add data."
                    )
                columns = _choose_columns(sample[1], path, timestamp, features, targets)
            chunks = _csv_float_chunks(path, chunk_rows, missing_markers, csv_options, columns)
        for first_row, chunk in chunks:
            if columns is None:
                columns = _choose_columns(chunk, path, timestamp, features, targets)
            _check_columns(chunk, path, [*timestamp.source_columns, *columns])
            unit = "line" if fmt == "csv" else "row"
            stamps.append(_parse_timestamps(chunk, timestamp, path, first_row, unit))
            for column in columns:
                parsed = _parse_numeric(chunk[column], column, path, first_row, unit)
                values.setdefault(column, []).append(parsed)
            file_idx.append(np.full(len(chunk), index, dtype=np.int32))
            rows.append(np.arange(first_row, first_row + len(chunk), dtype=np.int64))
            n_rows += len(chunk)
        if n_rows == 0:
            raise RawInputError(
                f"Raw file '{path}' has a header but no data rows. Remove it or add data."
            )
        file_infos.append({"path": str(path), "format": fmt, "rows": n_rows})

    assert columns is not None  # list_raw_files guarantees at least one file
    table = RawTable(
        timestamps=np.concatenate(stamps),
        values={c: np.concatenate(values[c]) for c in columns},
        file_index=np.concatenate(file_idx),
        row_number=np.concatenate(rows),
        files=file_infos,
    )
    elapsed = time.perf_counter() - started
    logger.info(
        "Read %d rows x %d columns from %d file(s) in %.1f s (%.0f rows/s)",
        len(table.timestamps),
        len(columns),
        len(files),
        elapsed,
        len(table.timestamps) / max(elapsed, 1e-9),
    )
    return table


def _csv_float_chunks(
    path: Path,
    chunk_rows: int,
    markers: Sequence[str],
    options: dict,
    columns: Sequence[str],
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks with ``columns`` parsed to float32 by pandas' C parser (the fast path).

    The C parser's error does not say where the bad value is, so on failure the file is read
    again as text and the first bad value is named with its column and line.
    """
    # every other column stays text; no usecols, because with it pandas silently accepts
    # a line with too many fields
    dtypes = defaultdict(lambda: str, dict.fromkeys(columns, "float32"))
    try:
        yield from _csv_chunks(path, chunk_rows, markers, options, dtypes)
    except ValueError:
        for first_row, chunk in _csv_chunks(path, chunk_rows, markers, options):
            for column in columns:
                _parse_numeric(chunk[column], column, path, first_row, "line")
        raise


def _csv_chunks(
    path: Path,
    chunk_rows: int,
    markers: Sequence[str],
    options: dict,
    dtypes: dict | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of a CSV file, as text unless ``dtypes`` says otherwise."""
    if path.stat().st_size == 0:
        raise RawInputError(f"Raw file '{path}' is empty (0 bytes).")
    compression = CSV_COMPRESSION.get(path.suffix.lower())
    read_args = {
        "compression": compression,
        "dtype": dtypes or str,  # text: parse numbers ourselves to name a bad value's line
        "na_values": list(markers),
        "keep_default_na": False,
        **options,
    }
    with (
        open(path, "rb") as raw_file,
        tqdm.wrapattr(
            raw_file,
            "read",
            total=path.stat().st_size,
            desc=f"reading {path.name}",
            unit="B",
            unit_scale=True,
            disable=None,  # off when not on a terminal (CI, Airflow logs)
        ) as counted,
    ):
        try:
            reader = pd.read_csv(counted, chunksize=chunk_rows, **read_args)
        except pd.errors.EmptyDataError as exc:
            raise RawInputError(f"Raw file '{path}' is empty: it has no header.") from exc
        with reader:
            row = 2  # line 1 is the header
            while True:
                try:
                    chunk = next(reader)
                except StopIteration:
                    return
                except pd.errors.ParserError as exc:
                    raise RawInputError(f"Raw file '{path}' cannot be parsed: {exc}") from exc
                yield row, chunk
                row += len(chunk)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    if path.stat().st_size == 0:
        raise RawInputError(f"Raw file '{path}' is empty (0 bytes).")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise RawInputError(f"Raw file '{path}' is not a readable Parquet file: {exc}") from exc
    row = 1
    with tqdm(
        total=parquet.metadata.num_rows, desc=f"reading {path.name}", unit="rows", disable=None
    ) as progress:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            chunk = batch.to_pandas()
            yield row, chunk
            row += len(chunk)
            progress.update(len(chunk))


def _check_columns(chunk: pd.DataFrame, path: Path, wanted: Sequence[str]) -> None:
    absent = [c for c in wanted if c not in chunk.columns]
    if absent:
        raise ColumnNotFoundError(
            f"Raw file '{path}' has no column(s) {absent}; it has {list(chunk.columns)}. "
            f"Fix 'ingestion.timestamp', 'ingestion.features' or 'ingestion.targets'."
        )


def _choose_columns(
    chunk: pd.DataFrame,
    path: Path,
    timestamp: TimestampSpec,
    features: Sequence[str] | None,
    targets: Sequence[str],
) -> list[str]:
    _check_columns(chunk, path, [*timestamp.source_columns, *targets, *(features or [])])
    if features is None:
        candidates = [c for c in chunk.columns if c not in timestamp.source_columns]
        features = [c for c in candidates if _looks_numeric(chunk[c])]
        skipped = sorted(set(candidates) - set(features))
        if skipped:
            logger.warning("Columns %s of '%s' are not numeric and are not used", skipped, path)
    columns = list(dict.fromkeys([*features, *targets]))
    if not columns:
        raise ColumnNotFoundError(
            f"Raw file '{path}' has no numeric column to use; declare 'ingestion.features'."
        )
    return columns


def _looks_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return True
    present = column.dropna()
    if present.empty:
        return True  # all missing here; the all-missing check decides later
    return pd.to_numeric(present, errors="coerce").notna().mean() > 0.5


def _parse_numeric(
    column: pd.Series, name: str, path: Path, first_row: int, unit: str
) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column.dtype) or not (
        pd.api.types.is_numeric_dtype(column.dtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or column.dtype == object
    ):
        raise NonNumericValueError(
            f"Column '{name}' of '{path}' has type {column.dtype}, not numbers."
        )
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=np.float32, na_value=np.nan)
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna().to_numpy() & column.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NonNumericValueError(
            f"Column '{name}' of '{path}' {unit} {first_row + i} holds {column.iloc[i]!r}, "
            f"which is not a number ({int(bad.sum())} such value(s) in this chunk). Fix the "
            f"value, or add it to 'ingestion.missing_markers' if it means 'missing'."
        )
    return numbers.to_numpy(dtype=np.float32, na_value=np.nan)


def _parse_timestamps(
    chunk: pd.DataFrame, spec: TimestampSpec, path: Path, first_row: int, unit: str
) -> np.ndarray:
    if spec.column is None and spec.format and " " in spec.format.strip():
        parsed_ns = _parse_date_and_time(chunk, spec)
        if parsed_ns is not None:
            return parsed_ns
    if spec.column is not None:
        text = chunk[spec.column]
        described = f"column '{spec.column}'"
    else:
        text = chunk[spec.date_column].astype("string") + " " + chunk[spec.time_column]
        described = f"columns '{spec.date_column}' + '{spec.time_column}'"
    if pd.api.types.is_datetime64_any_dtype(text.dtype):
        parsed = text
    else:
        parsed = pd.to_datetime(text, format=spec.format, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TimestampParseError(
            f"Cannot parse the timestamp in {described} of '{path}' {unit} {first_row + i}: "
            f"{text.iloc[i]!r} does not match format {spec.format!r} "
            f"({int(bad.sum())} such value(s) in this chunk). Fix the value or "
            f"'ingestion.timestamp.format'."
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _parse_date_and_time(chunk: pd.DataFrame, spec: TimestampSpec) -> np.ndarray | None:
    """Parse each distinct date and each distinct time once (a day repeats 1440 times a
    minute series), then add them up; None when any value fails, so the caller's general
    path names the bad row."""
    date_format, time_format = spec.format.strip().split(" ", 1)
    date_codes, dates = pd.factorize(chunk[spec.date_column])
    time_codes, times = pd.factorize(chunk[spec.time_column])
    day = pd.to_datetime(pd.Series(dates), format=date_format, errors="coerce")
    clock = pd.to_datetime(pd.Series(times), format=time_format, errors="coerce")
    if (
        (date_codes < 0).any()
        or (time_codes < 0).any()
        or day.isna().any()
        or clock.isna().any()
        or getattr(day.dt, "tz", None) is not None
    ):
        return None
    day_ns = day.to_numpy(dtype="datetime64[ns]").view(np.int64)
    midnight = clock.dt.normalize()
    clock_ns = (clock - midnight).to_numpy(dtype="timedelta64[ns]").view(np.int64)
    return day_ns[date_codes] + clock_ns[time_codes]
