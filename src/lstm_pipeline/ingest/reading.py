"""Read raw time-series files in bounded memory.

Files are read chunk by chunk (CSV through pandas' C parser, Parquet by record batch); each
chunk is turned into int64 nanosecond timestamps and float32 columns at once, so the peak
memory is one chunk of strings plus the float32 result, never the whole file as text.

A value that cannot be used is an error naming its file, column, line and value, never a
silently changed number: text that is not a number, an infinite value or one too large for
float32, a timestamp that does not parse or that nanoseconds cannot hold, bytes that are not
text, a compressed file cut short.

Example:
    >>> spec = TimestampSpec(column=None, date_column="Date", time_column="Time",
    ...                      format="%d/%m/%Y %H:%M:%S")
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
    DamagedFileError,
    FileEncodingError,
    NonFiniteValueError,
    NonNumericValueError,
    RawInputError,
)
from lstm_pipeline.ingest.categories import CategoryCoder
from lstm_pipeline.ingest.compression import (
    DECOMPRESSION_ERRORS,
    decompressed,
    first_undecodable_line,
)
from lstm_pipeline.ingest.origin import ChunkOrigin
from lstm_pipeline.ingest.timestamps import TimestampParser, TimestampSpec

logger = logging.getLogger(__name__)

CSV_COMPRESSION = {".gz": "gzip", ".xz": "xz", ".zst": "zstd", ".bz2": "bz2", ".csv": None}
SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".csv.bz2", ".parquet", ".pq")


@dataclass
class RawTable:
    """Everything read from the raw files, in file order (not yet sorted)."""

    timestamps: np.ndarray  # int64 nanoseconds since the epoch
    values: dict[str, np.ndarray]  # column -> float32, NaN where missing
    file_index: np.ndarray  # int32 index into `files`
    row_number: np.ndarray  # int64 line in a CSV file (header is line 1) or 1-based Parquet row
    files: list[dict] = field(default_factory=list)  # path, format, rows
    categories: dict[str, list[str]] = field(default_factory=dict)  # categorical column ->
    # its vocabulary: the column's values are float32 codes into it

    @property
    def columns(self) -> list[str]:
        """The column names, features first, then targets not among them."""
        return list(self.values)

    def take(self, rows: np.ndarray) -> "RawTable":
        """The table of ``rows`` only (same files and categories)."""
        return RawTable(
            timestamps=self.timestamps[rows],
            values={column: values[rows] for column, values in self.values.items()},
            file_index=self.file_index[rows],
            row_number=self.row_number[rows],
            files=self.files,
            categories=self.categories,
        )

    def location(self, i: int) -> str:
        """Human-readable origin of row ``i``: 'file.csv line 12'."""
        info = self.files[int(self.file_index[i])]
        unit = "line" if info["format"] == "csv" else "row"
        return f"{info['path']} {unit} {int(self.row_number[i])}"


@dataclass(frozen=True)
class _ReadOptions:
    """The arguments of :func:`read_raw_files`, passed on as one."""

    timestamp: TimestampSpec
    features: Sequence[str] | None
    targets: Sequence[str]
    missing_markers: Sequence[str]
    chunk_rows: int
    csv_options: dict
    categorical: Sequence[str] = ()

    @property
    def encoding(self) -> str:
        return self.csv_options.get("encoding") or "utf-8"


@dataclass
class _TableParts:
    """Parsed chunks, one list per array, concatenated once at the end."""

    timestamps: list[np.ndarray] = field(default_factory=list)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)
    file_index: list[np.ndarray] = field(default_factory=list)
    row_number: list[np.ndarray] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    coder: CategoryCoder = field(default_factory=lambda: CategoryCoder([]))

    def add(self, index: int, origin: ChunkOrigin, stamps: np.ndarray, values: dict) -> None:
        self.timestamps.append(stamps)
        for column, column_values in values.items():
            self.values.setdefault(column, []).append(column_values)
        self.file_index.append(np.full(len(stamps), index, dtype=np.int32))
        first = origin.first_row
        self.row_number.append(np.arange(first, first + len(stamps), dtype=np.int64))

    def table(self) -> RawTable:
        return RawTable(
            timestamps=np.concatenate(self.timestamps),
            values={c: np.concatenate(parts) for c, parts in self.values.items()},
            file_index=np.concatenate(self.file_index),
            row_number=np.concatenate(self.row_number),
            files=self.files,
            categories=self.coder.vocabularies,
        )


def list_raw_files(path: str | Path, suffixes: tuple[str, ...] = SUPPORTED_SUFFIXES) -> list[Path]:
    """Return the data files at ``path``: the file itself, or the supported files in a folder.

    Args:
        path: a file or a folder.
        suffixes: the name endings that count as data (default: the forecasting formats;
            the ``raw_files`` catalog entry passes the labelled formats too).

    Raises :class:`RawInputError` when the path does not exist, is an unsupported file, or
    is a folder without a supported file.
    """
    path = Path(path)
    if not path.exists():
        raise RawInputError(
            f"Raw input '{path}' does not exist. Put the data there or point the catalog "
            f"entry's 'path' at the right file or folder."
        )
    if path.is_file():
        if not _is_supported(path, suffixes):
            raise RawInputError(
                f"Raw input '{path}' is not a supported file; expected one of {suffixes}."
            )
        return [path]
    present = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    files = [p for p in present if _is_supported(p, suffixes)]
    if not files:
        found = ", ".join(p.name for p in present[:10]) or "nothing"
        raise RawInputError(
            f"Raw input folder '{path}' holds no data file (found: {found}); expected names "
            f"ending in {suffixes}."
        )
    return files


def forecast_files(files: list[Path]) -> list[Path]:
    """The forecasting data files (CSV, compressed CSV, Parquet) among ``files``.

    The ``raw_files`` entry lists the labelled formats too (``.ts``, ``.txt``, HDF5...);
    forecasting reads only its own, exactly as if the folder had been listed for it.
    """
    kept = [f for f in files if _is_supported(f, SUPPORTED_SUFFIXES)]
    if not kept:
        where = f"folder '{files[0].parent}'" if files else "list"
        found = ", ".join(f.name for f in files[:10]) or "nothing"
        raise RawInputError(
            f"Raw input {where} holds no forecasting data file (found: {found}); expected "
            f"names ending in {SUPPORTED_SUFFIXES}."
        )
    return kept


def _is_supported(path: Path, suffixes: tuple[str, ...] = SUPPORTED_SUFFIXES) -> bool:
    return path.name.lower().endswith(suffixes)


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
    categorical: Sequence[str] = (),
) -> RawTable:
    """Read ``files`` into one :class:`RawTable` with float32 columns, in file order.

    ``features=None`` takes every numeric column (a column is numeric when most of its
    non-missing values in the first chunk are numbers; a stray non-numeric value in it later
    is an error, never a silently dropped column). Targets are always kept. The
    ``categorical`` columns (text or integer codes) are always kept too, as float32 codes
    into ``RawTable.categories``.

    Raises, each naming the file (and column, line and value where there is one):
    :class:`RawInputError` (no file, empty file, header only, malformed line, unreadable
    Parquet), :class:`FileEncodingError`, :class:`DamagedFileError` (compressed file cut
    short or corrupt), :class:`ColumnNotFoundError`, :class:`NonNumericValueError`,
    :class:`NonFiniteValueError` (inf, or beyond float32), and the timestamp errors of
    :meth:`TimestampParser.parse`.
    """
    if not files:
        raise RawInputError("No raw file to read: the raw input holds no data file.")
    options = _read_options(
        timestamp, features, targets, missing_markers, chunk_rows, csv_options, categorical
    )
    started = time.perf_counter()
    parser = TimestampParser(timestamp)
    parts = _TableParts(coder=CategoryCoder(categorical))
    columns: list[str] | None = None
    for index, path in enumerate(files):
        if columns is None:  # chosen once, from the first file
            columns = _choose_columns(_first_chunk(path, options), path, options)
        _read_file(path, index, columns, options, parser, parts)
    table = parts.table()
    _log_speed(table, len(files), time.perf_counter() - started)
    return table


def _read_options(
    timestamp: TimestampSpec,
    features: Sequence[str] | None,
    targets: Sequence[str],
    missing_markers: Sequence[str],
    chunk_rows: int = 250_000,
    csv_options: dict | None = None,
    categorical: Sequence[str] = (),
) -> _ReadOptions:
    """The keyword arguments of :func:`read_raw_files` as one."""
    return _ReadOptions(
        timestamp,
        features,
        list(targets),
        list(missing_markers),
        chunk_rows,
        csv_options or {},
        list(categorical),
    )


def chosen_columns(path: Path, **options) -> list[str]:
    """The numeric columns :func:`read_raw_files` (``options``: its keyword arguments)
    reads from every file when ``path`` is the first: features first, then targets."""
    read = _read_options(**options)
    return _choose_columns(_first_chunk(path, read), path, read)


def read_one_file(path: Path, columns: Sequence[str], **options) -> RawTable:
    """The table of one file, reading ``columns`` (from :func:`chosen_columns`) without
    parsing a first chunk to choose them again; ``options``: the keyword arguments of
    :func:`read_raw_files`. A task of the Dask engine: :func:`concat_tables` joins them."""
    read = _read_options(**options)
    parts = _TableParts(coder=CategoryCoder(read.categorical))
    _read_file(Path(path), 0, list(columns), read, TimestampParser(read.timestamp), parts)
    return parts.table()


def concat_tables(tables: Sequence[RawTable]) -> RawTable:
    """One table of tables read one file each, as :func:`read_raw_files` would have read
    the files in this order: file indexes renumbered, category codes mapped into one
    vocabulary in first-seen order."""
    vocabularies: dict[str, list[str]] = {c: [] for c in tables[0].categories}
    values: dict[str, list[np.ndarray]] = {c: [] for c in tables[0].values}
    files, file_index = [], []
    for table in tables:
        for column, column_values in table.values.items():
            own = table.categories.get(column)
            values[column].append(
                column_values if own is None else _recoded(column_values, own, vocabularies[column])
            )
        file_index.append(table.file_index + len(files))
        files.extend(table.files)
    return RawTable(
        timestamps=np.concatenate([t.timestamps for t in tables]),
        values={c: np.concatenate(parts) for c, parts in values.items()},
        file_index=np.concatenate(file_index).astype(np.int32),
        row_number=np.concatenate([t.row_number for t in tables]),
        files=files,
        categories=vocabularies,
    )


def _recoded(codes: np.ndarray, own: list[str], vocabulary: list[str]) -> np.ndarray:
    """``codes`` into ``own`` as codes into ``vocabulary`` (extended with values new to it)."""
    known = {value: i for i, value in enumerate(vocabulary)}
    for value in own:
        if value not in known:
            known[value] = len(vocabulary)
            vocabulary.append(value)
    mapping = np.array([known[value] for value in own] or [0], dtype=np.float32)
    present = ~np.isnan(codes)
    recoded = np.full(len(codes), np.nan, dtype=np.float32)
    recoded[present] = mapping[codes[present].astype(np.int64)]
    return recoded


def _log_speed(table: RawTable, n_files: int, elapsed: float) -> None:
    rows = len(table.timestamps)
    logger.info(
        "Read %d rows x %d columns from %d file(s) in %.1f s (%.0f rows/s)",
        rows,
        len(table.columns),
        n_files,
        elapsed,
        rows / max(elapsed, 1e-9),
    )


def _read_file(
    path: Path,
    index: int,
    columns: list[str],
    options: _ReadOptions,
    parser: TimestampParser,
    parts: _TableParts,
) -> None:
    if _file_format(path) == "parquet":
        chunks, fmt, unit = _parquet_chunks(path, options.chunk_rows), "parquet", "row"
    else:
        chunks, fmt, unit = _csv_float_chunks(path, options, columns), "csv", "line"
    wanted = [*options.timestamp.source_columns, *columns, *options.categorical]
    n_rows = 0
    for first_row, chunk in chunks:
        _check_columns(chunk, path, wanted)
        origin = ChunkOrigin(path, first_row, unit)
        stamps = parser.parse(chunk, origin)
        values = {column: _parse_numeric(chunk[column], column, origin) for column in columns}
        values |= {c: parts.coder.encode(c, chunk[c]) for c in options.categorical}
        parts.add(index, origin, stamps, values)
        n_rows += len(chunk)
    if n_rows == 0:
        raise _header_only(path)
    parts.files.append({"path": str(path), "format": fmt, "rows": n_rows})


def _header_only(path: Path) -> RawInputError:
    return RawInputError(f"Raw file '{path}' has a header but no data rows. Remove it or add data.")


def _first_chunk(path: Path, options: _ReadOptions) -> pd.DataFrame:
    """The first chunk as read without types, to choose the columns from."""
    if _file_format(path) == "parquet":
        chunks = _parquet_chunks(path, options.chunk_rows)
    else:
        chunks = _csv_chunks(path, options)
    first = next(chunks, None)
    chunks.close()  # closes the file now
    if first is None:
        raise _header_only(path)
    return first[1]


def _csv_float_chunks(
    path: Path, options: _ReadOptions, columns: list[str]
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks with ``columns`` parsed to float32 by pandas' C parser (the fast path).

    The C parser says neither where a value that is not a number is, nor that a number
    overflowed float32 (it becomes inf), so on either the file is read again as text and the
    first bad value is named with its column, line and value as written.
    """
    # every other column stays text; no usecols, because with it pandas silently accepts
    # a line with too many fields
    dtypes = defaultdict(lambda: str, dict.fromkeys(columns, "float32"))
    try:
        for first_row, chunk in _csv_chunks(path, options, dtypes):
            if np.isinf(chunk[columns].to_numpy()).any():
                raise ValueError("an infinite value or a number too large for float32")
            yield first_row, chunk
    except ValueError as exc:
        for first_row, chunk in _csv_chunks(path, options):
            _check_columns(chunk, path, columns)
            origin = ChunkOrigin(path, first_row, "line")
            for column in columns:
                _parse_numeric(chunk[column], column, origin)
        raise RawInputError(f"Raw file '{path}' holds a value that is not a number: {exc}") from exc


def _csv_chunks(
    path: Path, options: _ReadOptions, dtypes: dict | None = None
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of a CSV file, as text unless ``dtypes`` says otherwise."""
    size = path.stat().st_size
    if size == 0:
        raise RawInputError(f"Raw file '{path}' is empty (0 bytes).")
    read_args = {
        "dtype": dtypes or str,  # text: parse numbers ourselves to name a bad value's line
        "na_values": list(options.missing_markers),
        "keep_default_na": False,
        **options.csv_options,
    }
    progress = {"desc": f"reading {path.name}", "unit": "B", "unit_scale": True}
    with (
        open(path, "rb") as raw_file,
        # disable=None: off when not on a terminal (CI, Airflow logs)
        tqdm.wrapattr(raw_file, "read", total=size, disable=None, **progress) as counted,
        decompressed(counted, CSV_COMPRESSION.get(path.suffix.lower())) as stream,
    ):
        row = 1  # line 1 is the header
        try:
            reader = pd.read_csv(stream, chunksize=options.chunk_rows, **read_args)
        except pd.errors.EmptyDataError as exc:
            raise RawInputError(f"Raw file '{path}' is empty: it has no header.") from exc
        except (pd.errors.ParserError, UnicodeDecodeError, *DECOMPRESSION_ERRORS) as exc:
            raise _unreadable(path, row, options, exc) from exc
        with reader:
            row = 2
            while True:
                try:
                    with np.errstate(over="ignore"):  # float32 overflow: inf, named later
                        chunk = next(reader)
                except StopIteration:
                    return
                except (pd.errors.ParserError, UnicodeDecodeError, *DECOMPRESSION_ERRORS) as exc:
                    raise _unreadable(path, row, options, exc) from exc
                yield row, chunk
                row += len(chunk)


def _unreadable(path: Path, row: int, options: _ReadOptions, exc: Exception) -> Exception:
    """The error to raise for a failure of pandas' reader from ``row`` on."""
    if isinstance(exc, pd.errors.ParserError | UnicodeDecodeError):
        # a binary file often fails as a malformed line first: say what it really is
        compression = CSV_COMPRESSION.get(path.suffix.lower())
        found = first_undecodable_line(path, compression, options.encoding)
        if found is not None:
            return FileEncodingError(
                f"Raw file '{path}' is not {options.encoding} text: line {found[0]} holds "
                f"byte {found[1]:#04x}. Is it a binary file, or text in another encoding? "
                f"Convert it to UTF-8, or declare its encoding in 'ingestion.csv_options', "
                f"e.g. {{encoding: latin-1}}."
            )
    if isinstance(exc, pd.errors.ParserError):
        return RawInputError(f"Raw file '{path}' cannot be parsed: {exc}")
    if isinstance(exc, UnicodeDecodeError):
        return FileEncodingError(f"Raw file '{path}' is not {exc.encoding} text: {exc}.")
    return DamagedFileError(
        f"Raw file '{path}' is cut short or damaged: decompressing it failed in the rows from "
        f"line {row} on ({type(exc).__name__}: {exc}). Copy or download the file again."
    )


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


def _choose_columns(chunk: pd.DataFrame, path: Path, options: _ReadOptions) -> list[str]:
    """The numeric columns to read: the declared features and targets, or every numeric
    column and the targets (never a categorical column: those are coded, not parsed)."""
    source, categorical = options.timestamp.source_columns, options.categorical
    declared = [*options.targets, *(options.features or []), *categorical]
    _check_columns(chunk, path, [*source, *declared])
    features = [c for c in options.features or [] if c not in categorical]
    if options.features is None:
        candidates = [c for c in chunk.columns if c not in (*source, *categorical)]
        features = [c for c in candidates if _looks_numeric(chunk[c])]
        skipped = sorted(set(candidates) - set(features))
        if skipped:
            logger.warning("Columns %s of '%s' are not numeric and are not used", skipped, path)
    columns = list(dict.fromkeys([*features, *options.targets]))
    if not columns and not categorical:
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


def _parse_numeric(column: pd.Series, name: str, origin: ChunkOrigin) -> np.ndarray:
    """The column as float32, NaN where missing; raises naming the first unusable value."""
    if pd.api.types.is_bool_dtype(column.dtype) or not (
        pd.api.types.is_numeric_dtype(column.dtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or column.dtype == object
    ):
        raise NonNumericValueError(
            f"Column '{name}' of '{origin.path}' has type {column.dtype}, not numbers."
        )
    numbers = column
    if not pd.api.types.is_numeric_dtype(column.dtype):
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna().to_numpy() & column.notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise NonNumericValueError(
                f"Column '{name}' of {origin.at(i)} holds {column.iloc[i]!r}, which is not a "
                f"number ({int(bad.sum())} such value(s) in this chunk). Fix the value, or add "
                f"it to 'ingestion.missing_markers' if it means 'missing'."
            )
    with np.errstate(over="ignore"):  # a number beyond float32 becomes inf, caught below
        values = numbers.to_numpy(dtype=np.float32, na_value=np.nan)
    _check_finite(values, column, name, origin)
    return values


def _check_finite(values: np.ndarray, column: pd.Series, name: str, origin: ChunkOrigin) -> None:
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise NonFiniteValueError(
            f"Column '{name}' of {origin.at(i)} holds {str(column.iloc[i])!r}, which is "
            f"infinite or too large for float32 (at most 3.4e38 in size; {int(infinite.sum())} "
            f"such value(s) in this chunk). Fix the value, or add it to "
            f"'ingestion.missing_markers' if it means 'missing'."
        )
