"""Ingestion nodes: raw files -> raw_series -> series (+ ingestion_report).

The work lives in :mod:`lstm_pipeline.ingest`; these functions only pass parameters along
and assemble the report.
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.errors import IrregularSpacingError
from lstm_pipeline.ingest.cleaning import (
    check_not_all_missing,
    column_summary,
    fill_missing,
    infer_frequency,
    order_and_deduplicate,
    regularise,
    resample,
    steps_in,
)
from lstm_pipeline.ingest.reading import TimestampSpec, read_raw_files
from lstm_pipeline.pipelines.ingestion.params import IngestionParams

logger = logging.getLogger(__name__)


def read_raw_series(raw_files: list[Path], params: IngestionParams) -> tuple[pd.DataFrame, dict]:
    """Read every raw file, sort by time and resolve duplicate timestamps."""
    table = read_raw_files(
        raw_files,
        timestamp=TimestampSpec(**params.timestamp.model_dump()),
        features=params.features,
        targets=params.targets,
        missing_markers=params.missing_markers,
        chunk_rows=params.chunk_rows,
        csv_options=params.csv_options,
    )
    check_not_all_missing(table)
    missing_markers = {c: int(np.isnan(v).sum()) for c, v in table.values.items()}
    frame, order_report = order_and_deduplicate(table, params.duplicates)
    targets = list(params.targets)
    report = {
        "files": table.files,
        "rows_read": len(table.timestamps),
        "features": [c for c in table.columns if params.features is None or c in params.features],
        "targets": targets,
        "missing_markers_read": missing_markers,
        **order_report,
    }
    return frame, report


def clean_series(
    raw_series: pd.DataFrame, read_report: dict, params: IngestionParams
) -> tuple[pd.DataFrame, dict]:
    """Put the series on a regular grid, fill short gaps, and resample if asked."""
    native = (
        pd.Timedelta(params.frequency) if params.frequency else infer_frequency(raw_series.index)
    )
    resampling = params.resample
    try:
        gridded, grid_report = regularise(raw_series, native)
        on_grid = True
    except IrregularSpacingError:
        if resampling is None:
            raise
        on_grid = False
        logger.warning(
            "Irregular timestamps: resampling to %s before filling", resampling.frequency
        )

    resample_report = None
    if on_grid:
        series, fill_report = _fill(gridded, native, params)
        if resampling is not None:
            series, resample_report = resample(
                series,
                resampling.frequency,
                resampling.aggregation,
                resampling.per_column,
                strict=True,
            )
    else:
        coarse, resample_report = resample(
            raw_series,
            resampling.frequency,
            resampling.aggregation,
            resampling.per_column,
            strict=False,
        )
        target = pd.Timedelta(resampling.frequency)
        gridded, grid_report = regularise(coarse, target)
        series, fill_report = _fill(gridded, target, params)

    series = series.astype(np.float32)
    series.index.name = "timestamp"
    report = {
        **read_report,
        "rows_written": len(series),
        "time_range": {"start": str(series.index[0]), "end": str(series.index[-1])},
        "frequency": {
            "native": grid_report["frequency"] if on_grid else None,
            "output": resample_report["frequency"] if resample_report else grid_report["frequency"],
            "regular": on_grid,
        },
        "missing_timestamps_inserted": grid_report["missing_timestamps_inserted"],
        "missing": {k: v for k, v in fill_report.items() if not k.startswith("long_gap")},
        "gaps": {
            "longer_than_max_gap": fill_report.get("long_gap_count", 0),
            "action": fill_report.get("long_gap_action"),
            "longest": fill_report.get("long_gaps", []),
        },
        "resample": resample_report,
        "columns": column_summary(series, series.columns),
    }
    logger.info(
        "series: %d rows x %d columns, %s to %s, %d long gap(s) kept as missing",
        len(series),
        series.shape[1],
        series.index[0],
        series.index[-1],
        fill_report.get("long_gap_count", 0),
    )
    return series, report


def _fill(frame: pd.DataFrame, frequency: pd.Timedelta, params: IngestionParams):
    missing = params.missing
    return fill_missing(
        frame,
        policy=missing.policy,
        max_gap_steps=steps_in(missing.max_gap, frequency),
        period_steps=steps_in(missing.period, frequency) if missing.period else None,
        long_gaps=missing.long_gaps,
    )
