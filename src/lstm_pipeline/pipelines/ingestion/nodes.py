"""Ingestion nodes: raw files -> raw_series -> series (+ ingestion_report).

The work lives in :mod:`lstm_pipeline.ingest.series`; these functions only hand the
validated parameters to it.
"""

from pathlib import Path

import pandas as pd

from lstm_pipeline.ingest.series import make_regular_series, read_sorted_series
from lstm_pipeline.pipelines.ingestion.params import IngestionParams


def read_raw_series(raw_files: list[Path], params: IngestionParams) -> tuple[pd.DataFrame, dict]:
    """Read every raw file, sort by time and resolve duplicate timestamps.

    Args:
        raw_files: the files the ``raw_files`` catalog entry lists.
        params: ``params:ingestion``.

    Returns:
        ``raw_series`` (float32 columns indexed by timestamp) and ``read_report``.
    """
    return read_sorted_series(
        raw_files,
        timestamp=params.timestamp,
        features=params.features,
        targets=params.targets,
        missing_markers=params.missing_markers,
        chunk_rows=params.chunk_rows,
        csv_options=params.csv_options,
        duplicates=params.duplicates,
        max_timestamp_gap=params.missing.max_timestamp_gap,
    )


def clean_series(
    raw_series: pd.DataFrame, read_report: dict, params: IngestionParams
) -> tuple[pd.DataFrame, dict]:
    """Put the series on a regular grid, fill short gaps, and resample if asked.

    Args:
        raw_series: the output of :func:`read_raw_series`.
        read_report: its report, carried into the ingestion report.
        params: ``params:ingestion``.

    Returns:
        ``series`` (regular, float32) and ``ingestion_report``.
    """
    return make_regular_series(
        raw_series,
        read_report,
        frequency=params.frequency,
        missing=params.missing,
        resampling=params.resample,
    )
