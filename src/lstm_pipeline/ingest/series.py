"""Timestamped tables end to end: raw files -> sorted raw series -> regular, filled series.

The two steps the ingestion pipeline runs, each returning a frame and a report dict that
says what was read or changed. They take plain settings, so they run without Kedro:

    >>> raw, read_report = read_sorted_series(files, timestamp=spec, features=None,
    ...     targets=["Global_active_power"], missing_markers=["?", ""], chunk_rows=250_000,
    ...     csv_options={}, duplicates="error", max_timestamp_gap="30D")
    >>> series, report = make_regular_series(raw, read_report, frequency=None,
    ...     missing=MissingSpec(), resampling=None)
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.errors import IrregularSpacingError
from lstm_pipeline.ingest.cleaning import (
    DuplicatePolicy,
    MissingSpec,
    ResampleSpec,
    check_not_all_missing,
    column_summary,
    fill_missing,
    infer_frequency,
    order_and_deduplicate,
    regularise,
    resample,
    trim_target_edges,
)
from lstm_pipeline.ingest.partitioned import read_tables
from lstm_pipeline.ingest.timestamps import TimestampSpec
from lstm_pipeline.parallel.engine import Mapper, serial_map
from lstm_pipeline.timegrid import TimeGrid

logger = logging.getLogger(__name__)


def read_sorted_series(
    files: Sequence[Path],
    *,
    timestamp: TimestampSpec,
    features: Sequence[str] | None,
    targets: Sequence[str],
    missing_markers: Sequence[str],
    chunk_rows: int,
    csv_options: dict,
    duplicates: DuplicatePolicy,
    max_timestamp_gap: str | None,
    categorical: Sequence[str] = (),
    map_items: Mapper = serial_map,
) -> tuple[pd.DataFrame, dict]:
    """Read every file (``map_items``: a task a file on Dask), sort by time, resolve duplicates.

    Returns the raw series (float32 columns, DatetimeIndex 'timestamp'; a ``categorical``
    column holds codes into ``report["categories"]``) and the read report (files, rows read,
    columns, missing markers read, ordering and duplicates). Raises the errors of
    :func:`read_raw_files`, :class:`MissingDataError` for a column missing in every row, and
    those of :func:`order_and_deduplicate` (a gap over ``max_timestamp_gap``, a duplicate
    under policy 'error').
    """
    table = read_tables(
        files,
        map_items,
        timestamp=timestamp,
        features=features,
        targets=targets,
        missing_markers=missing_markers,
        chunk_rows=chunk_rows,
        csv_options=csv_options,
        categorical=categorical,
    )
    check_not_all_missing(table)
    missing_read = {c: int(np.isnan(v).sum()) for c, v in table.values.items()}
    max_gap = pd.Timedelta(max_timestamp_gap) if max_timestamp_gap is not None else None
    frame, order_report = order_and_deduplicate(table, duplicates, max_gap)
    report = {
        "files": table.files,
        "rows_read": len(table.timestamps),
        "features": [
            c for c in table.columns if features is None or c in (*features, *categorical)
        ],
        "targets": list(targets),
        "categories": table.categories,
        "missing_markers_read": missing_read,
        **order_report,
    }
    return frame, report


def make_regular_series(
    raw_series: pd.DataFrame,
    read_report: dict,
    *,
    frequency: str | None,
    missing: MissingSpec,
    resampling: ResampleSpec | None,
) -> tuple[pd.DataFrame, dict]:
    """Put the series on a regular grid, fill short gaps, and resample if asked.

    ``frequency`` is the native spacing (None infers the most common one). Irregular
    timestamps are resampled first when ``resampling`` is given. Returns the float32 series
    and the ingestion report (the read report plus grid, missing values, gaps, resampling
    and per-column ranges). Raises :class:`IrregularSpacingError` for irregular timestamps
    without ``resampling``, and :class:`MissingDataError` where ``missing`` forbids a gap.
    """
    try:
        native = TimeGrid(frequency) if frequency else infer_frequency(raw_series.index)
        gridded, grid_report = regularise(raw_series, native)
    except IrregularSpacingError:
        if resampling is None:
            raise
        return _resample_irregular(raw_series, read_report, missing, resampling)
    series, fill_report = _fill(gridded, native, missing, read_report)
    resample_report = None
    if resampling is not None:
        series, resample_report = _resample(series, resampling, read_report, native=native)
    steps = {"grid": grid_report, "fill": fill_report, "resample": resample_report}
    return _finish(series, read_report, steps, on_grid=True)


def _resample_irregular(
    raw_series: pd.DataFrame, read_report: dict, missing: MissingSpec, resampling: ResampleSpec
) -> tuple[pd.DataFrame, dict]:
    logger.warning("Irregular timestamps: resampling to %s before filling", resampling.frequency)
    coarse, resample_report = _resample(raw_series, resampling, read_report, native=None)
    target = TimeGrid(resampling.frequency)
    gridded, grid_report = regularise(coarse, target)
    series, fill_report = _fill(gridded, target, missing, read_report)
    steps = {"grid": grid_report, "fill": fill_report, "resample": resample_report}
    return _finish(series, read_report, steps, on_grid=False)


def _fill(
    frame: pd.DataFrame, grid: TimeGrid, missing: MissingSpec, read_report: dict
) -> tuple[pd.DataFrame, dict]:
    """Trim the target's missing edges (if asked), then fill short gaps."""
    trimmed = None
    if missing.trim_target_edges:
        frame, trimmed = trim_target_edges(frame, read_report["targets"])
    filled, report = fill_missing(
        frame,
        policy=missing.policy,
        max_gap_steps=grid.steps_in(missing.max_gap),
        period_steps=grid.steps_in(missing.period) if missing.period else None,
        long_gaps=missing.long_gaps,
        fill_value=missing.fill_value,
        categorical=list(read_report.get("categories", {})),
    )
    return filled, {**report, "trimmed_target_edges": trimmed}


def _resample(
    frame: pd.DataFrame, resampling: ResampleSpec, read_report: dict, *, native: TimeGrid | None
) -> tuple[pd.DataFrame, dict]:
    """Strict (missing rows make a bucket missing) when the ``native`` grid is known; a
    categorical column takes its bucket's most frequent category."""
    return resample(
        frame,
        resampling.frequency,
        resampling.aggregation,
        resampling.per_column,
        strict=native is not None,
        native=native,
        categorical=list(read_report.get("categories", {})),
    )


def _finish(
    series: pd.DataFrame, read_report: dict, steps: dict, *, on_grid: bool
) -> tuple[pd.DataFrame, dict]:
    series = series.astype(np.float32)
    series.index.name = "timestamp"
    grid, fill, resampled = steps["grid"], steps["fill"], steps["resample"]
    report = {
        **read_report,
        "rows_written": len(series),
        "time_range": {"start": str(series.index[0]), "end": str(series.index[-1])},
        "frequency": {
            "native": grid["frequency"] if on_grid else None,
            "output": resampled["frequency"] if resampled else grid["frequency"],
            "regular": on_grid,
        },
        "missing_timestamps_inserted": grid["missing_timestamps_inserted"],
        "missing": {k: v for k, v in fill.items() if not k.startswith("long_gap")},
        "gaps": {
            "longer_than_max_gap": fill.get("long_gap_count", 0),
            "action": fill.get("long_gap_action"),
            "longest": fill.get("long_gaps", []),
        },
        "resample": resampled,
        "columns": column_summary(series, series.columns),
    }
    series.attrs["frequency"] = report["frequency"]["output"]  # read by the later stages
    series.attrs["categories"] = read_report.get("categories", {})
    logger.info(
        "series: %d rows x %d columns, %s to %s, %d long gap(s)",
        len(series),
        series.shape[1],
        series.index[0],
        series.index[-1],
        fill.get("long_gap_count", 0),
    )
    return series, report
