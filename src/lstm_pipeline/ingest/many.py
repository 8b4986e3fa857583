"""Many series in one run: a long table with a series-id column, or one file per series.

Each series is ordered, deduplicated, put on its grid, filled and resampled on its own, so a
gap, a duplicate or a fill never reaches across two series. The result is one frame holding
the series one after another (each in time order), with a float32 ``series`` column of
codes into ``attrs["series"]`` (``[[name, rows], ...]`` in that order), which the later
stages read to keep every series apart.

    >>> raw, report = read_many_series(files, series_id="symbol", per_file=False, **options)
    >>> series, report = make_many_regular(raw, report, frequency=None, missing=MissingSpec(),
    ...                                    resampling=None)
"""

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.errors import IrregularSpacingError, MissingDataError, RawInputError
from lstm_pipeline.ingest.cleaning import check_not_all_missing, order_and_deduplicate
from lstm_pipeline.ingest.partitioned import read_tables
from lstm_pipeline.ingest.reading import RawTable
from lstm_pipeline.ingest.series import make_regular_series
from lstm_pipeline.parallel.engine import Mapper, serial_map

logger = logging.getLogger(__name__)

SERIES = "series"  # the column of series codes


def read_many_series(
    files: Sequence[Path],
    *,
    series_id: str | None,
    per_file: bool,
    read_options: dict,
    duplicates: str,
    max_timestamp_gap: str | None,
    map_items: Mapper = serial_map,
) -> tuple[pd.DataFrame, dict]:
    """Read ``files`` (``map_items``: one task per file on the Dask engine); rows belong to
    the series ``series_id`` (a column) names, or, with ``per_file``, to their file (named by
    its stem). Returns the series one after another with a ``series`` code column, and the
    read report (``series``: names, rows read)."""
    categorical = [*read_options.get("categorical", ()), *([series_id] if series_id else [])]
    table = read_tables(files, map_items, **{**read_options, "categorical": categorical})
    if SERIES in table.values:
        raise RawInputError(
            f"The raw data has a column '{SERIES}', the name many-series runs give the series "
            f"codes; rename it (or declare the features without it)."
        )
    check_not_all_missing(table)
    codes, names = _series_codes(table, series_id, per_file)
    gap = pd.Timedelta(max_timestamp_gap) if max_timestamp_gap is not None else None
    frames, order_reports = [], {}
    for code, name in enumerate(names):
        part = table.take(np.flatnonzero(codes == code))
        frame, order_reports[name] = order_and_deduplicate(part, duplicates, gap)
        frames.append(frame.drop(columns=[series_id] if series_id else []).assign(series=code))
    raw = pd.concat(frames).astype(np.float32)
    categories = {c: v for c, v in table.categories.items() if c != series_id}
    features = [c for c in table.columns if c != series_id]
    report = {
        "files": table.files,
        "rows_read": len(table.timestamps),
        "features": features,
        "targets": list(read_options["targets"]),
        "categories": categories,
        "series": {"source": series_id or "file names", "names": names},
        "series_read": order_reports,
    }
    return raw, report


def _series_codes(table: RawTable, series_id: str | None, per_file: bool):
    if per_file:
        names = [Path(f["path"]).name.split(".")[0] for f in table.files]
        return table.file_index, names
    codes = table.values[series_id]
    if np.isnan(codes).any():
        row = int(np.flatnonzero(np.isnan(codes))[0])
        raise MissingDataError(
            f"'ingestion.series_id' column '{series_id}' is missing at {table.location(row)}: "
            f"every row must name its series."
        )
    return codes.astype(np.int64), table.categories[series_id]


def make_many_regular(
    raw: pd.DataFrame, read_report: dict, map_items: Mapper = serial_map, **cleaning
) -> tuple[pd.DataFrame, dict]:
    """:func:`make_regular_series` for each series alone (``cleaning``: its keyword
    arguments; ``map_items``: one task per series on the Dask engine), the results one after
    another. Raises IrregularSpacingError when the series come out on different grids
    (declare ``ingestion.frequency``)."""
    names = read_report["series"]["names"]
    codes = raw[SERIES].to_numpy()
    rows = (raw[codes == code].drop(columns=[SERIES]) for code in range(len(names)))
    clean = partial(make_regular_series, read_report=read_report, **cleaning)
    parts, reports = [], {}
    for code, (name, (series, report)) in enumerate(
        zip(names, map_items(clean, rows), strict=True)
    ):
        reports[name] = report
        parts.append(series.assign(series=np.float32(code)))
    frequencies = {r["frequency"]["output"] for r in reports.values()}
    if len(frequencies) > 1:
        raise IrregularSpacingError(
            f"The series come out on different grids ({sorted(frequencies)}); declare "
            f"'ingestion.frequency' or 'ingestion.resample.frequency'."
        )
    joined = pd.concat(parts)
    joined.attrs = {
        **parts[0].attrs,
        "series": [[name, len(part)] for name, part in zip(names, parts, strict=True)],
    }
    return joined, _many_report(read_report, reports, joined)


def _many_report(read_report: dict, reports: dict, joined: pd.DataFrame) -> dict:
    first = next(iter(reports.values()))
    return {
        **{k: v for k, v in read_report.items() if k != "series_read"},
        "rows_written": len(joined),
        "frequency": first["frequency"],
        "series": {
            **read_report["series"],
            "per_series": {
                name: {k: r[k] for k in ("rows_written", "time_range", "missing", "gaps")}
                for name, r in reports.items()
            },
        },
    }
