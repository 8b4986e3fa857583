"""Turn raw rows into a clean, regular series: order, duplicates, grid, missing values, resampling.

Every function takes and returns plain pandas/numpy objects plus a small report dict, so the
Kedro nodes only wire them together and the report says exactly what was changed.
"""

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lstm_pipeline.errors import (
    DuplicateTimestampError,
    IrregularSpacingError,
    MissingDataError,
)
from lstm_pipeline.ingest.reading import RawTable

logger = logging.getLogger(__name__)

DUPLICATE_POLICIES = ("first", "last", "mean", "error")
MISSING_POLICIES = ("interpolate", "ffill", "seasonal", "drop", "error")
LONG_GAP_ACTIONS = ("keep", "drop", "error")
AGGREGATIONS = ("mean", "sum", "last", "first", "min", "max", "median")
MAX_GAPS_LISTED = 50


def order_and_deduplicate(table: RawTable, policy: str) -> tuple[pd.DataFrame, dict]:
    """Sort rows by time (stable, so file order breaks ties) and resolve duplicate timestamps."""
    if policy not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicate policy must be one of {DUPLICATE_POLICIES}, got {policy!r}")
    stamps = table.timestamps
    out_of_order = int(np.count_nonzero(np.diff(stamps) < 0))
    order = np.argsort(stamps, kind="stable") if out_of_order else np.arange(len(stamps))
    sorted_stamps = stamps[order]
    repeated = np.flatnonzero(sorted_stamps[1:] == sorted_stamps[:-1]) + 1
    report = {"rows_out_of_order": out_of_order, "duplicate_rows": int(len(repeated))}
    if len(repeated) and policy == "error":
        second = int(order[repeated[0]])
        first = int(order[repeated[0] - 1])
        raise DuplicateTimestampError(
            f"Timestamp {pd.Timestamp(stamps[second])} appears more than once "
            f"({table.location(first)} and {table.location(second)}; {len(repeated)} duplicate "
            f"row(s) in all). Set 'ingestion.duplicates' to first, last or mean to resolve them."
        )
    frame = pd.DataFrame(
        {name: column[order] for name, column in table.values.items()},
        index=pd.DatetimeIndex(sorted_stamps.view("datetime64[ns]"), name="timestamp"),
    )
    if len(repeated):
        if policy == "mean":
            frame = frame.groupby(level=0, sort=False).mean().astype(np.float32)
        else:
            frame = frame[~frame.index.duplicated(keep=policy)]
        logger.warning("Resolved %d duplicate timestamp row(s) with '%s'", len(repeated), policy)
    report["duplicate_policy"] = policy
    return frame, report


def infer_frequency(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The most common spacing between consecutive timestamps."""
    if len(index) < 2:
        raise IrregularSpacingError("At least two timestamps are needed to infer a frequency.")
    steps = np.diff(_nanoseconds(index))
    values, counts = np.unique(steps, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def regularise(frame: pd.DataFrame, frequency: pd.Timedelta) -> tuple[pd.DataFrame, dict]:
    """Put ``frame`` on a complete grid of ``frequency``; absent timestamps become NaN rows.

    Raises :class:`IrregularSpacingError` when some spacing is not a whole number of steps.
    """
    steps = np.diff(_nanoseconds(frame.index))
    off_grid = np.flatnonzero(steps % frequency.value != 0)
    if len(off_grid):
        at = frame.index[off_grid[0] + 1]
        raise IrregularSpacingError(
            f"Timestamps are irregular: {len(off_grid)} interval(s) are not a multiple of "
            f"{frequency} (first at {at}). Declare 'ingestion.resample.frequency' to resample "
            f"onto a regular grid, or 'ingestion.frequency' if the inferred one is wrong."
        )
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=frequency, name="timestamp")
    inserted = len(grid) - len(frame)
    if inserted:
        frame = frame.reindex(grid)
    return frame, {"frequency": _freq_text(frequency), "missing_timestamps_inserted": inserted}


def missing_runs(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of NaN in a 1-D array."""
    isna = np.isnan(column)
    if not isna.any():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    edges = np.diff(np.concatenate([[False], isna, [False]]).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return starts, ends - starts


def fill_missing(
    frame: pd.DataFrame,
    *,
    policy: str,
    max_gap_steps: int,
    period_steps: int | None = None,
    long_gaps: str = "keep",
) -> tuple[pd.DataFrame, dict]:
    """Fill gaps of at most ``max_gap_steps`` rows with ``policy``; report every longer gap.

    Longer gaps are never bridged: ``long_gaps`` keeps them as NaN rows (windowing skips
    them), drops those rows, or raises.
    """
    if policy not in MISSING_POLICIES:
        raise ValueError(f"missing policy must be one of {MISSING_POLICIES}, got {policy!r}")
    if long_gaps not in LONG_GAP_ACTIONS:
        raise ValueError(f"long_gaps must be one of {LONG_GAP_ACTIONS}, got {long_gaps!r}")
    missing_before = {c: int(frame[c].isna().sum()) for c in frame.columns}
    if policy == "error" and any(missing_before.values()):
        column = next(c for c, n in missing_before.items() if n)
        first = frame.index[np.flatnonzero(frame[column].isna().to_numpy())[0]]
        raise MissingDataError(
            f"Column '{column}' has {missing_before[column]} missing value(s), the first at "
            f"{first}, and 'ingestion.missing.policy' is 'error'. Choose interpolate, ffill, "
            f"seasonal or drop."
        )
    report: dict = {"policy": policy, "max_gap_steps": max_gap_steps, "columns": {}}
    if policy == "drop":
        kept = frame.dropna(how="any")
        for c in frame.columns:
            report["columns"][c] = {"missing": missing_before[c], "filled": 0, "remaining": 0}
        report["rows_dropped"] = len(frame) - len(kept)
        report["long_gaps"] = []
        return kept, report

    filled = {}
    long_runs: list[tuple[int, int, str]] = []
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=np.float32, copy=True)
        starts, lengths = missing_runs(values)
        fillable = np.zeros(len(values), dtype=bool)
        for start, length in zip(starts, lengths, strict=True):
            if length <= max_gap_steps:
                fillable[start : start + length] = True
            else:
                long_runs.append((int(start), int(length), column))
        if fillable.any():
            values = _fill(values, fillable, policy, frame.index, period_steps)
        filled[column] = values
        report["columns"][column] = {
            "missing": missing_before[column],
            "filled": int(missing_before[column] - np.isnan(values).sum()),
            "remaining": int(np.isnan(values).sum()),
        }
    result = pd.DataFrame(filled, index=frame.index)
    report["long_gaps"] = _describe_gaps(long_runs, frame.index)
    report["long_gap_count"] = len(report["long_gaps"])
    report["long_gaps"] = report["long_gaps"][:MAX_GAPS_LISTED]
    report["long_gap_action"] = long_gaps
    if long_runs and long_gaps == "error":
        gap = report["long_gaps"][0]
        raise MissingDataError(
            f"{report['long_gap_count']} gap(s) are longer than 'ingestion.missing.max_gap' "
            f"({max_gap_steps} steps); the first runs from {gap['start']} to {gap['end']} in "
            f"column(s) {gap['columns']}. Raise max_gap, or set 'ingestion.missing.long_gaps' "
            f"to keep or drop."
        )
    if long_runs and long_gaps == "drop":
        before = len(result)
        result = result.dropna(how="any")
        report["rows_dropped"] = before - len(result)
    return result, report


def _fill(
    values: np.ndarray,
    fillable: np.ndarray,
    policy: str,
    index: pd.DatetimeIndex,
    period_steps: int | None,
) -> np.ndarray:
    if policy == "interpolate":
        series = pd.Series(values, index=index)
        # 'time' weights by the actual spacing; limit_area keeps edges unfilled (nothing to
        # interpolate from); only positions in short gaps take the result.
        interpolated = series.interpolate(method="time", limit_area="inside").to_numpy()
        values[fillable] = interpolated[fillable]
    elif policy == "ffill":
        carried = pd.Series(values).ffill().to_numpy()
        values[fillable] = carried[fillable]
    elif policy == "seasonal":
        if not period_steps:
            raise ValueError("policy 'seasonal' needs a period")
        # Fill from one period back; a gap longer than a period fills from values filled in
        # an earlier pass, so repeat until nothing changes.
        while True:
            todo = np.flatnonzero(fillable & np.isnan(values))
            todo = todo[todo >= period_steps]
            source = values[todo - period_steps]
            usable = ~np.isnan(source)
            if not usable.any():
                break
            values[todo[usable]] = source[usable]
    return values


def _describe_gaps(runs: list[tuple[int, int, str]], index: pd.DatetimeIndex) -> list[dict]:
    merged: dict[tuple[int, int], list[str]] = {}
    for start, length, column in runs:
        merged.setdefault((start, length), []).append(column)
    gaps = [
        {
            "start": str(index[start]),
            "end": str(index[start + length - 1]),
            "steps": length,
            "columns": columns,
        }
        for (start, length), columns in merged.items()
    ]
    return sorted(gaps, key=lambda g: -g["steps"])


def resample(
    frame: pd.DataFrame,
    frequency: str,
    aggregation: str,
    per_column: Mapping[str, str],
    *,
    strict: bool,
) -> tuple[pd.DataFrame, dict]:
    """Aggregate onto a coarser regular grid, one aggregation per column.

    ``strict`` (for data already on a regular grid) makes a bucket NaN when any of its rows
    is missing, so a sum over a half-missing hour is never reported as a full hour.
    """
    target = pd.Timedelta(frequency)
    how = {c: per_column.get(c, aggregation) for c in frame.columns}
    bins = frame.resample(target, label="left", closed="left")
    parts = {}
    for column, method in how.items():
        grouped = bins[column]
        parts[column] = grouped.sum(min_count=1) if method == "sum" else getattr(grouped, method)()
    result = pd.DataFrame(parts).astype(np.float32)
    result.index.name = "timestamp"
    if strict:
        complete = bins.size() == round(target / _spacing(frame.index))
        has_missing = frame.isna().resample(target, label="left", closed="left").sum() > 0
        result = result.mask(has_missing)
        result = result[complete.reindex(result.index, fill_value=False).to_numpy()]
    return result, {"frequency": _freq_text(target), "aggregation": how, "strict": strict}


def _spacing(index: pd.DatetimeIndex) -> pd.Timedelta:
    return pd.Timedelta(int(np.median(np.diff(_nanoseconds(index)))), unit="ns")


def _nanoseconds(index: pd.DatetimeIndex) -> np.ndarray:
    # pandas 3 keeps s/ms/us resolutions; spacing arithmetic below is in nanoseconds
    return index.as_unit("ns").asi8


def steps_in(duration: str, frequency: pd.Timedelta) -> int:
    """How many grid steps of ``frequency`` fit in ``duration`` ('60min', '1D')."""
    return int(pd.Timedelta(duration) // frequency)


def _freq_text(freq: pd.Timedelta) -> str:
    return pd.tseries.frequencies.to_offset(freq).freqstr


def column_summary(frame: pd.DataFrame, columns: Sequence[str]) -> dict:
    """Count, missing and range per column, for the report."""
    summary = {}
    for column in columns:
        values = frame[column]
        summary[column] = {
            "count": int(values.notna().sum()),
            "missing": int(values.isna().sum()),
            "min": _finite(values.min()),
            "max": _finite(values.max()),
        }
    return summary


def _finite(value) -> float | None:
    return None if pd.isna(value) else float(value)


def check_not_all_missing(table: RawTable) -> None:
    """Raise naming the first column with no value at all: nothing can be learned from it."""
    for column, values in table.values.items():
        if len(values) and np.isnan(values).all():
            files = ", ".join(f["path"] for f in table.files)
            raise MissingDataError(
                f"Column '{column}' is missing in every row of {files}. Remove it from "
                f"'ingestion.features' (or declare the features without it)."
            )
