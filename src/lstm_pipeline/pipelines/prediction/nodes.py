"""Prediction nodes: new raw files -> the model's input (through the stored preprocessing)
-> forecasts beyond the end of the data, or a class per case.

Both tasks run these two nodes; each looks the task's library function up in a small table.
The work lives in :mod:`lstm_pipeline.prediction`; these functions only adapt catalog inputs
and parameters to it.
"""

from functools import partial
from pathlib import Path

import pandas as pd

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.pipelines.ingestion.nodes import clean_series, read_raw_series
from lstm_pipeline.pipelines.ingestion.params import IngestionParams
from lstm_pipeline.pipelines.prediction.params import PredictionParams
from lstm_pipeline.prediction.cases import classify_cases, read_new_cases
from lstm_pipeline.prediction.checks import TrainedSeries
from lstm_pipeline.prediction.forecasting import forecast_ahead
from lstm_pipeline.prediction.series import model_window, read_checked_series
from lstm_pipeline.task import TASKS, Task


def prepare_new_data(
    prediction_raw_files: list[Path],
    scaler: dict,
    windowing_record: dict,
    ingestion_report: dict,
    ingestion: IngestionParams,
    task: Task,
) -> pd.DataFrame:
    """Read the new raw files with the training run's ingestion settings, check them against
    what the model was trained on, and preprocess them with the stored scaler.

    Args:
        prediction_raw_files: the files the ``prediction_raw_files`` entry lists.
        scaler, windowing_record, ingestion_report: the training run's stored artifacts.
        ingestion: ``params:ingestion``. task: ``params:task``.

    Returns:
        ``prediction_inputs``: forecast, the last ``input_length`` scaled rows of each
        series; classification, the long table of every new case, scaled.
    """
    _check_stored_task(windowing_record, task)
    prepare = _lookup(_PREPARERS, task)
    return prepare(prediction_raw_files, scaler, windowing_record, ingestion_report, ingestion)


def predict_new_data(
    prediction_inputs: pd.DataFrame,
    model,
    scaler: dict,
    windowing_record: dict,
    label_mapping: dict,
    params: PredictionParams,
    task: Task,
) -> pd.DataFrame:
    """The model on the prepared inputs.

    Returns:
        ``new_predictions``: forecast, the ``horizon`` steps after the last timestamp of
        each series in original units (quantiles too); classification, the predicted label
        and a probability per class of each case.
    """
    predict = _lookup(_PREDICTORS, task)
    return predict(prediction_inputs, model, scaler, windowing_record, label_mapping, params)


def _prepare_series(files, scaler, record, ingestion_report, ingestion: IngestionParams):
    trained = TrainedSeries.from_artifacts(ingestion_report, record)
    read = partial(read_raw_series, params=ingestion, task="forecast")

    def clean(raw, report):
        return clean_series(raw, report, ingestion, "forecast")[:2]

    time_columns = ingestion.timestamp.source_columns
    series = read_checked_series(files, read, clean, trained, time_columns)
    return model_window(series, scaler, record)


def _prepare_cases(files, scaler, record, ingestion_report, ingestion: IngestionParams):
    return read_new_cases(files, ingestion.labelled, ingestion.missing_markers, scaler)


def _forecast(inputs, model, scaler, record, label_mapping, params: PredictionParams):
    return forecast_ahead(model, inputs, scaler, record, params.batch_size)


def _classify(inputs, model, scaler, record, label_mapping, params: PredictionParams):
    return classify_cases(model, inputs, list(label_mapping["classes"]), params.batch_size)


def _check_stored_task(windowing_record: dict, task: str) -> None:
    stored = windowing_record.get("task", "forecast")
    if stored != task:
        raise SettingsError(
            f"task = '{task}': the stored windowing_record was written for '{stored}'; "
            f"train for task '{task}' first (kedro run), then predict."
        )


def _lookup(table: dict, task: str):
    if task not in table:
        raise SettingsError(f"task = {task!r}: must be one of {list(TASKS)}")
    return table[task]


_PREPARERS = {"forecast": _prepare_series, "classification": _prepare_cases}
_PREDICTORS = {"forecast": _forecast, "classification": _classify}
