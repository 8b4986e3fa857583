"""Turn raw rows into a clean, regular series: order, duplicates, grid, missing values, resampling.

Every function takes and returns plain pandas/numpy objects plus a small report dict, so the
Kedro nodes only wire them together and the report says exactly what was changed. The sets
of allowed values (``MissingPolicy``...) and the settings models (:class:`MissingSpec`,
:class:`ResampleSpec`) are defined here, once, and reused by the pipeline's parameters.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field, model_validator

from lstm_pipeline.errors import (
    DuplicateTimestampError,
    IrregularSpacingError,
    MissingDataError,
    TimestampGapError,
)
from lstm_pipeline.ingest.categories import mode_or_last
from lstm_pipeline.ingest.reading import RawTable
from lstm_pipeline.parameters import StrictModel
from lstm_pipeline.timegrid import TimeGrid, infer_grid, pandas_frequency

logger = logging.getLogger(__name__)

DuplicatePolicy = Literal["first", "last", "mean", "error"]
MissingPolicy = Literal["interpolate", "ffill", "seasonal", "constant", "drop", "error"]
LongGapAction = Literal["keep", "drop", "error"]
Aggregation = Literal["mean", "sum", "last", "first", "min", "max", "median"]
MAX_GAPS_LISTED = 50


def positive_duration(value: str) -> str:
    """Return ``value`` when pandas reads it as a positive duration ('60min', '1D');
    raise ValueError (which pydantic reports with the parameter's path) otherwise."""
    try:
        duration = pd.Timedelta(value)
    except ValueError as exc:
        raise ValueError(f"must be a duration such as '60min' or '1D', got {value!r}") from exc
    if duration <= pd.Timedelta(0):
        raise ValueError(f"must be a positive duration, got {value!r}")
    return value


Duration = Annotated[str, AfterValidator(positive_duration)]
Frequency = Annotated[str, AfterValidator(pandas_frequency)]


class MissingSpec(StrictModel):
    """How missing values are filled, and how far apart timestamps may be."""

    policy: MissingPolicy = "interpolate"
    max_gap: Duration = Field(default="60min", description="longest gap that is filled")
    period: Duration | None = Field(default=None, description="season for 'seasonal', e.g. 1D")
    fill_value: float | None = Field(default=None, description="the value 'constant' fills in")
    trim_target_edges: bool = Field(
        default=False,
        description="drop the rows before the first and after the last row where every "
        "target has a value (a series whose target starts late or stops early)",
    )
    long_gaps: LongGapAction = "keep"
    max_timestamp_gap: Duration | None = Field(
        default="30D",
        description="longest jump between consecutive timestamps (a longer one is taken for "
        "a mistyped date and stops the run); null turns the check off",
    )

    @model_validator(mode="after")
    def _period_for_seasonal(self):
        if self.policy == "seasonal" and self.period is None:
            raise ValueError("policy 'seasonal' needs 'period', e.g. '1D'")
        if (self.policy == "constant") != (self.fill_value is not None):
            raise ValueError("'fill_value' goes with policy 'constant', and only with it")
        return self


class ResampleSpec(StrictModel):
    """Aggregate onto a coarser grid: one aggregation for all, or one per column."""

    frequency: Frequency
    aggregation: Aggregation = "mean"
    per_column: dict[str, Aggregation] = Field(
        description="aggregation of the columns that differ from 'aggregation'; {} for none"
    )


def _check_choice(value: str, choices, what: str) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")


def order_and_deduplicate(
    table: RawTable, policy: DuplicatePolicy, max_gap: pd.Timedelta | None = None
) -> tuple[pd.DataFrame, dict]:
    """Sort rows by time (stable, so file order breaks ties) and resolve duplicate timestamps.

    Returns the sorted frame (float32 columns, a DatetimeIndex named 'timestamp') and a
    report: rows out of order, duplicate rows, the policy. Raises
    :class:`TimestampGapError` when consecutive timestamps are more than ``max_gap`` apart
    (None skips the check), :class:`DuplicateTimestampError` when ``policy`` is 'error' and
    a timestamp repeats.
    """
    _check_choice(policy, DuplicatePolicy, "duplicate policy")
    order, out_of_order = time_order(table.timestamps)
    if max_gap is not None:
        check_timestamp_gaps(table, order, max_gap)
    sorted_stamps = table.timestamps[order]
    repeated = np.flatnonzero(sorted_stamps[1:] == sorted_stamps[:-1]) + 1
    if len(repeated) and policy == "error":
        raise _duplicate_error(table, order, repeated)
    frame = pd.DataFrame(
        {name: column[order] for name, column in table.values.items()},
        index=pd.DatetimeIndex(sorted_stamps.view("datetime64[ns]"), name="timestamp"),
    )
    if len(repeated):
        frame = _resolve_duplicates(frame, policy, list(table.categories))
        logger.warning("Resolved %d duplicate timestamp row(s) with '%s'", len(repeated), policy)
    report = {
        "rows_out_of_order": out_of_order,
        "duplicate_rows": int(len(repeated)),
        "duplicate_policy": policy,
    }
    return frame, report


def time_order(stamps: np.ndarray) -> tuple[np.ndarray, int]:
    """The stable order that sorts ``stamps``, and how many rows were out of order."""
    out_of_order = int(np.count_nonzero(np.diff(stamps) < 0))
    order = np.argsort(stamps, kind="stable") if out_of_order else np.arange(len(stamps))
    return order, out_of_order


def check_timestamp_gaps(table: RawTable, order: np.ndarray, max_gap: pd.Timedelta) -> None:
    """Raise :class:`TimestampGapError` at the first jump between consecutive timestamps (in
    ``order``) longer than ``max_gap``, naming both rows: one of them is usually a mistyped
    date, which would otherwise fill years of empty rows."""
    stamps = table.timestamps[order]
    # sorted, so every difference is >= 0; as uint64 it is right even past int64's range
    steps = np.diff(stamps).view(np.uint64)
    jumps = np.flatnonzero(steps > np.uint64(max_gap.value))
    if not len(jumps):
        return
    before, after = int(order[jumps[0]]), int(order[jumps[0] + 1])
    gap_ns = int(table.timestamps[after]) - int(table.timestamps[before])
    raise TimestampGapError(
        f"Timestamps jump from {pd.Timestamp(table.timestamps[before])} "
        f"({table.location(before)}) to {pd.Timestamp(table.timestamps[after])} "
        f"({table.location(after)}), a gap of {_duration_text(gap_ns)}, longer than "
        f"'ingestion.missing.max_timestamp_gap' ({max_gap}); {len(jumps)} such gap(s) in all. "
        f"A mistyped date? Fix that row. If the gap is real, raise max_timestamp_gap "
        f"(e.g. 365D), or set it to null to turn this check off."
    )


def _duration_text(nanoseconds: int) -> str:
    if nanoseconds <= np.iinfo(np.int64).max:
        return str(pd.Timedelta(nanoseconds, unit="ns"))
    return f"{nanoseconds / pd.Timedelta('1D').value:,.0f} days"


def _duplicate_error(
    table: RawTable, order: np.ndarray, repeated: np.ndarray
) -> DuplicateTimestampError:
    second = int(order[repeated[0]])
    first = int(order[repeated[0] - 1])
    return DuplicateTimestampError(
        f"Timestamp {pd.Timestamp(table.timestamps[second])} appears more than once "
        f"({table.location(first)} and {table.location(second)}; {len(repeated)} duplicate "
        f"row(s) in all). Set 'ingestion.duplicates' to first, last or mean to resolve them."
    )


def _resolve_duplicates(
    frame: pd.DataFrame, policy: DuplicatePolicy, categorical: Sequence[str]
) -> pd.DataFrame:
    if policy == "mean":  # a category code is never averaged: the first one is kept
        how = {c: "first" if c in categorical else "mean" for c in frame.columns}
        return frame.groupby(level=0, sort=False).agg(how).astype(np.float32)
    return frame[~frame.index.duplicated(keep=policy)]


def infer_frequency(index: pd.DatetimeIndex) -> TimeGrid:
    """The grid of ``index``: its most common spacing, or a calendar frequency (monthly,
    weekly...) pandas finds. Raises :class:`IrregularSpacingError` when neither fits."""
    try:
        return infer_grid(index)
    except ValueError as exc:
        raise IrregularSpacingError(
            f"Cannot infer the time step: {exc}. Declare 'ingestion.frequency' (e.g. 1h, D, "
            f"W-SUN, MS), or 'ingestion.resample.frequency' to resample onto a regular grid."
        ) from exc


def regularise(frame: pd.DataFrame, grid: TimeGrid) -> tuple[pd.DataFrame, dict]:
    """Put ``frame`` on a complete ``grid``; absent timestamps become NaN rows.

    Raises :class:`IrregularSpacingError` when some timestamp is not on the grid.
    """
    stamps = _nanoseconds(frame.index)
    full = _full_grid(grid, stamps)
    off_grid = np.flatnonzero(~np.isin(stamps, full))
    if len(off_grid):
        at = frame.index[off_grid[0]]
        raise IrregularSpacingError(
            f"Timestamps are irregular: {len(off_grid)} timestamp(s) are not on the "
            f"'{grid.frequency}' grid from {frame.index[0]} (first: {at}). Declare "
            f"'ingestion.resample.frequency' to resample onto a regular grid, or "
            f"'ingestion.frequency' if the inferred one is wrong."
        )
    inserted = len(full) - len(frame)
    if inserted:
        frame = frame.reindex(pd.DatetimeIndex(full.astype("datetime64[ns]"), name="timestamp"))
    return frame, {"frequency": grid.frequency, "missing_timestamps_inserted": inserted}


def _full_grid(grid: TimeGrid, stamps: np.ndarray) -> np.ndarray:
    if not grid.is_on_grid(int(stamps[0])):
        return np.empty(0, np.int64)  # every stamp is off the grid
    return grid.range(int(stamps[0]), end_ns=int(stamps[-1]))


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
    policy: MissingPolicy,
    max_gap_steps: int,
    period_steps: int | None = None,
    long_gaps: LongGapAction = "keep",
    fill_value: float | None = None,
    categorical: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict]:
    """Fill gaps of at most ``max_gap_steps`` rows with ``policy`` (``fill_value`` for
    'constant'); report every longer gap. A ``categorical`` column (codes) is carried
    forward where ``policy`` would interpolate or fill a number.

    Longer gaps are never bridged: ``long_gaps`` keeps them as NaN rows (windowing skips
    them), drops those rows, or raises. Returns the frame and a report: per-column missing,
    filled and remaining counts, the longest gaps. Raises :class:`MissingDataError` for any
    missing value under policy 'error', and for a long gap under ``long_gaps='error'``.
    """
    _check_choice(policy, MissingPolicy, "missing policy")
    _check_choice(long_gaps, LongGapAction, "long_gaps")
    missing_before = {c: int(frame[c].isna().sum()) for c in frame.columns}
    if policy == "error":
        check_nothing_missing(frame, missing_before)
    report: dict = {"policy": policy, "max_gap_steps": max_gap_steps}
    if policy == "drop":
        kept = frame.dropna(how="any")
        report["columns"] = {
            c: {"missing": n, "filled": 0, "remaining": 0} for c, n in missing_before.items()
        }
        return kept, {**report, "rows_dropped": len(frame) - len(kept), "long_gaps": []}
    filled, long_runs = fill_short_gaps(
        frame, policy, max_gap_steps, period_steps, fill_value, categorical
    )
    remaining = {c: int(filled[c].isna().sum()) for c in filled.columns}
    report["columns"] = {
        c: {"missing": n, "filled": n - remaining[c], "remaining": remaining[c]}
        for c, n in missing_before.items()
    }
    report.update(_long_gap_report(long_runs, frame.index, long_gaps))
    if long_runs and long_gaps == "error":
        raise _long_gap_error(report, max_gap_steps)
    if long_runs and long_gaps == "drop":
        kept = filled.dropna(how="any")
        report["rows_dropped"] = len(filled) - len(kept)
        filled = kept
    return filled, report


def check_nothing_missing(frame: pd.DataFrame, missing: Mapping[str, int]) -> None:
    """Raise :class:`MissingDataError` naming the first column with a missing value (counts
    in ``missing``) and the timestamp of its first one."""
    column = next((c for c, n in missing.items() if n), None)
    if column is None:
        return
    first = frame.index[np.flatnonzero(frame[column].isna().to_numpy())[0]]
    raise MissingDataError(
        f"Column '{column}' has {missing[column]} missing value(s), the first at "
        f"{first}, and 'ingestion.missing.policy' is 'error'. Choose interpolate, ffill, "
        f"seasonal, constant or drop."
    )


def fill_short_gaps(
    frame: pd.DataFrame,
    policy: MissingPolicy,
    max_gap_steps: int,
    period_steps: int | None,
    fill_value: float | None = None,
    categorical: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[tuple[int, int, str]]]:
    """Fill every run of at most ``max_gap_steps`` missing rows, column by column; return
    the filled frame and the longer runs as (start position, length, column)."""
    filled = {}
    long_runs: list[tuple[int, int, str]] = []
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=np.float32, copy=True)
        fillable, column_long_runs = short_gap_mask(values, max_gap_steps)
        long_runs += [(start, length, column) for start, length in column_long_runs]
        if fillable.any():
            how = _CATEGORY_FILL.get(policy, policy) if column in categorical else policy
            values = _fill(values, fillable, how, frame.index, (period_steps, fill_value))
        filled[column] = values
    return pd.DataFrame(filled, index=frame.index), long_runs


def short_gap_mask(
    values: np.ndarray, max_gap_steps: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """True where ``values`` is NaN in a run of at most ``max_gap_steps``; and the longer
    runs as (start position, length)."""
    starts, lengths = missing_runs(values)
    fillable = np.zeros(len(values), dtype=bool)
    long_runs = []
    for start, length in zip(starts, lengths, strict=True):
        if length <= max_gap_steps:
            fillable[start : start + length] = True
        else:
            long_runs.append((int(start), int(length)))
    return fillable, long_runs


def _long_gap_report(
    runs: list[tuple[int, int, str]], index: pd.DatetimeIndex, action: LongGapAction
) -> dict:
    gaps = _describe_gaps(runs, index)
    return {
        "long_gaps": gaps[:MAX_GAPS_LISTED],
        "long_gap_count": len(gaps),
        "long_gap_action": action,
    }


def _long_gap_error(report: dict, max_gap_steps: int) -> MissingDataError:
    gap = report["long_gaps"][0]
    return MissingDataError(
        f"{report['long_gap_count']} gap(s) are longer than 'ingestion.missing.max_gap' "
        f"({max_gap_steps} steps); the first runs from {gap['start']} to {gap['end']} in "
        f"column(s) {gap['columns']}. Raise max_gap, or set 'ingestion.missing.long_gaps' "
        f"to keep or drop."
    )


# a code between two codes, or a number, is no category: carry the last one forward
_CATEGORY_FILL = {"interpolate": "ffill", "constant": "ffill"}


def _fill(
    values: np.ndarray,
    fillable: np.ndarray,
    policy: MissingPolicy,
    index: pd.DatetimeIndex,
    period_and_value: tuple[int | None, float | None],
) -> np.ndarray:
    period_steps, fill_value = period_and_value
    if policy == "constant":
        values[fillable] = fill_value
    elif policy == "interpolate":
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
    aggregation: Aggregation,
    per_column: Mapping[str, Aggregation],
    *,
    strict: bool,
    native: TimeGrid | None = None,
    categorical: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict]:
    """Aggregate onto a coarser regular grid, one aggregation per column.

    ``strict`` (for data already on a regular grid, ``native``; None infers it) makes a
    bucket NaN when any of its rows is missing, so a sum over a half-missing hour is never
    reported as a full hour, and drops the edge buckets the data only partly covers. Returns
    the resampled float32 frame and a report (frequency, aggregation per column, strict).
    """
    for method in (aggregation, *per_column.values()):
        _check_choice(method, Aggregation, "aggregation")
    target = TimeGrid(frequency)
    how = {c: per_column.get(c, aggregation) for c in frame.columns}
    how |= dict.fromkeys(categorical, "mode")  # the most frequent category of the bucket
    bins = frame.resample(target.offset, label="left", closed="left")
    parts = {}
    for column, method in how.items():
        grouped = bins[column]
        parts[column] = _aggregate(grouped, method)
    result = pd.DataFrame(parts).astype(np.float32)
    result.index.name = "timestamp"
    if strict:
        native = native or infer_grid(frame.index)
        result = _complete_buckets(frame, result, bins.size(), target, native)
    return result, {"frequency": target.frequency, "aggregation": how, "strict": strict}


def _aggregate(grouped, method: str) -> pd.Series:
    if method == "sum":
        return grouped.sum(min_count=1)  # a bucket with no value is missing, not 0
    if method == "mode":
        return grouped.agg(mode_or_last)
    return getattr(grouped, method)()


def _complete_buckets(frame, result, sizes: pd.Series, target: TimeGrid, native: TimeGrid):
    """``result`` without the buckets only partly covered by ``frame``'s ``native`` grid
    (the edges), NaN where a bucket holds a missing row: a sum over half an hour is never
    reported as a full hour."""
    if not len(result):
        return result
    first, last = result.index[0], result.index[-1] + target.offset
    full = pd.date_range(first, last, freq=native.offset, inclusive="left")
    expected = pd.Series(1, index=full).resample(target.offset, label="left", closed="left")
    complete = sizes == expected.size().reindex(sizes.index, fill_value=-1).to_numpy()
    has_missing = frame.isna().resample(target.offset, label="left", closed="left").sum() > 0
    result = result.mask(has_missing)
    return result[complete.reindex(result.index, fill_value=False).to_numpy()]


def _nanoseconds(index: pd.DatetimeIndex) -> np.ndarray:
    # pandas 3 keeps s/ms/us resolutions; spacing arithmetic below is in nanoseconds
    return index.as_unit("ns").asi8


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


def trim_target_edges(frame: pd.DataFrame, targets: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """The rows from the first to the last where every target has a value, and how many
    were cut at each end. Raises :class:`MissingDataError` when no row has every target."""
    complete = np.flatnonzero(frame[list(targets)].notna().all(axis=1).to_numpy())
    if not complete.size:
        raise MissingDataError(
            f"No row has a value in every target column {list(targets)}, so "
            f"'ingestion.missing.trim_target_edges' would leave nothing."
        )
    first, last = int(complete[0]), int(complete[-1])
    report = {"leading_rows": first, "trailing_rows": len(frame) - 1 - last}
    if first or report["trailing_rows"]:
        logger.info(
            "Trimmed %(leading_rows)d leading and %(trailing_rows)d trailing row(s)", report
        )
    return frame.iloc[first : last + 1], report


def check_not_all_missing(table: RawTable) -> None:
    """Raise naming the first column with no value at all: nothing can be learned from it."""
    for column, values in table.values.items():
        if len(values) and np.isnan(values).all():
            files = ", ".join(f["path"] for f in table.files)
            raise MissingDataError(
                f"Column '{column}' is missing in every row of {files}. Remove it from "
                f"'ingestion.features' (or declare the features without it)."
            )
