"""Ingestion nodes: raw files -> raw_series -> series (+ ingestion_report, label_mapping).

Both tasks share these two nodes; each looks the task's library function up in a small
table. Forecasting: :mod:`lstm_pipeline.ingest.series` (timestamped tables). Classification:
:mod:`lstm_pipeline.ingest.labelled` (labelled sequences).
"""

from pathlib import Path

import pandas as pd

from lstm_pipeline.ingest.labelled.clean import clean_labelled, read_labelled
from lstm_pipeline.ingest.labelled.labels import forecast_mapping
from lstm_pipeline.ingest.many import make_many_regular, read_many_series
from lstm_pipeline.ingest.reading import forecast_files
from lstm_pipeline.ingest.series import make_regular_series, read_sorted_series
from lstm_pipeline.parallel.engine import EngineParams, Mapper, mapper_for
from lstm_pipeline.pipelines.ingestion.params import IngestionParams
from lstm_pipeline.task import Task


def read_raw_series(
    raw_files: list[Path], params: IngestionParams, task: Task, engine: EngineParams | None = None
) -> tuple[pd.DataFrame, dict]:
    """Read every raw file.

    Args:
        raw_files: the files the ``raw_files`` catalog entry lists.
        params: ``params:ingestion``.
        task: ``params:task``.
        engine: ``params:engine``; forecasting on ``dask`` reads one file per task
            (classification reads in this process).

    Returns:
        ``raw_series`` and ``read_report``. Forecast: float32 columns indexed by timestamp,
        sorted, duplicates resolved. Classification: the long table (split, case, step,
        label as text, one float32 column per dimension).
    """
    return _READERS[task](raw_files, params, mapper_for(engine))


def clean_series(
    raw_series: pd.DataFrame,
    read_report: dict,
    params: IngestionParams,
    task: Task,
    engine: EngineParams | None = None,
) -> tuple[pd.DataFrame, dict, dict]:
    """Make the series the later stages read.

    Args:
        raw_series: the output of :func:`read_raw_series`.
        read_report: its report, carried into the ingestion report.
        params: ``params:ingestion``.
        task: ``params:task``.
        engine: ``params:engine``; forecasting many series on ``dask`` cleans (fills,
            resamples) one series per task.

    Returns:
        ``series``, ``ingestion_report`` and ``label_mapping``. Forecast: a regular grid,
        short gaps filled, resampled if asked; no classes. Classification: labels checked
        and coded, missing values filled by ``ingestion.labelled.missing``.
    """
    return _CLEANERS[task](raw_series, read_report, params, mapper_for(engine))


def _read_forecast(
    raw_files: list[Path], params: IngestionParams, map_items: Mapper
) -> tuple[pd.DataFrame, dict]:
    if params.series_id or params.series_per_file:
        return _read_many(raw_files, params, map_items)
    return read_sorted_series(
        forecast_files(raw_files),
        timestamp=params.timestamp,
        features=params.features,
        targets=params.targets,
        missing_markers=params.missing_markers,
        chunk_rows=params.chunk_rows,
        csv_options=params.csv_options,
        duplicates=params.duplicates,
        max_timestamp_gap=params.missing.max_timestamp_gap,
        categorical=params.categorical,
        map_items=map_items,
    )


def _read_many(
    raw_files: list[Path], params: IngestionParams, map_items: Mapper
) -> tuple[pd.DataFrame, dict]:
    options = {
        "timestamp": params.timestamp,
        "features": params.features,
        "targets": params.targets,
        "missing_markers": params.missing_markers,
        "chunk_rows": params.chunk_rows,
        "csv_options": params.csv_options,
        "categorical": params.categorical,
    }
    return read_many_series(
        forecast_files(raw_files),
        series_id=params.series_id,
        per_file=params.series_per_file,
        read_options=options,
        duplicates=params.duplicates,
        max_timestamp_gap=params.missing.max_timestamp_gap,
        map_items=map_items,
    )


def _read_labelled(
    raw_files: list[Path], params: IngestionParams, map_items: Mapper
) -> tuple[pd.DataFrame, dict]:
    return read_labelled(raw_files, params.labelled, params.missing_markers)  # in this process


def _clean_forecast(raw: pd.DataFrame, report: dict, params: IngestionParams, map_items: Mapper):
    cleaning = {
        "frequency": params.frequency,
        "missing": params.missing,
        "resampling": params.resample,
    }
    if "series" in report:
        series, ingestion_report = make_many_regular(raw, report, map_items, **cleaning)
    else:
        series, ingestion_report = make_regular_series(raw, report, **cleaning)
    return series, ingestion_report, forecast_mapping()


def _clean_labelled(raw: pd.DataFrame, report: dict, params: IngestionParams, map_items: Mapper):
    return clean_labelled(raw, report, params.labelled)  # in this process


_READERS = {"forecast": _read_forecast, "classification": _read_labelled}
_CLEANERS = {"forecast": _clean_forecast, "classification": _clean_labelled}
