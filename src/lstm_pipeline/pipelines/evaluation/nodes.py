"""Evaluation nodes: predict the test split, score it, plot, report, and record the stage.

Both tasks run these same nodes; each node looks the task's library function up in a small
dict (``params:task``). The work lives in :mod:`lstm_pipeline.evaluation`; these functions
only adapt catalog inputs and parameters to it.
"""

import logging

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.evaluation import classification_plots, plots
from lstm_pipeline.evaluation.classification_report import (
    classification_report,
    compare_classifiers,
    verdict,
)
from lstm_pipeline.evaluation.classifying import predict_cases, score_cases
from lstm_pipeline.evaluation.comparison import headline
from lstm_pipeline.evaluation.predicting import PredictionJob
from lstm_pipeline.evaluation.record import classification_record, evaluation_record
from lstm_pipeline.evaluation.report import markdown_report
from lstm_pipeline.evaluation.scoring import Evaluation, score_predictions
from lstm_pipeline.evaluation.table import PredictionsTable
from lstm_pipeline.lineage import KEY
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.scaling.scaler import Scaler
from lstm_pipeline.task import TASKS, Task

logger = logging.getLogger(__name__)


def for_task(functions: dict, task: str):
    """The function of ``functions`` for ``task``; a clear error for an unknown task."""
    if task not in functions:
        raise SettingsError(f"Parameter 'task' is {task!r}; it must be one of {list(TASKS)}.")
    return functions[task]


def _forecast_job(model, test_shards, scaler, splits, evaluation: EvaluationParams):
    return PredictionJob(
        model,
        test_shards,
        Scaler(scaler),
        splits,
        seasonal_period=evaluation.seasonal_period,
        batch_size=evaluation.batch_size,
        drift_lag=evaluation.drift_lag,
    )


def _class_predictions(model, test_shards, scaler, splits, evaluation: EvaluationParams):
    return predict_cases(model, test_shards, evaluation.batch_size)


def predict_test_split(
    model,
    test_shards,
    scaler: dict,
    train_series,
    val_series,
    test_series,
    evaluation: EvaluationParams,
    task: Task,
):
    """The model's (and, forecasting, the naive baselines') predictions of every test case;
    the splits in time order are the history seasonal naive reads back through.

    Returns:
        forecast: a :class:`PredictionJob` that the ``predictions`` dataset runs, streaming,
        into its own temporary file; classification: the predictions table (a DataFrame:
        case, true and predicted label, a probability per class).
    """
    predict = for_task({"forecast": _forecast_job, "classification": _class_predictions}, task)
    return predict(model, test_shards, scaler, (train_series, val_series, test_series), evaluation)


def _score_forecast(predictions, test_shards, scaler, splits, evaluation) -> Evaluation:
    result = score_predictions(
        predictions,
        test_shards,
        Scaler(scaler),
        splits[0],
        seasonal_period=evaluation.seasonal_period,
        mase_period=evaluation.mase_period,
        units=evaluation.units,
        batch_size=evaluation.batch_size,
        sample_windows=evaluation.sample_windows,
        one_step_points=evaluation.one_step_points,
        residual_sample=evaluation.residual_sample,
    )
    logger.info("%s", headline(result.metrics))
    return result


def _score_classes(predictions, test_shards, scaler, splits, evaluation) -> Evaluation:
    result = score_cases(predictions.to_pandas(), test_shards, *splits)
    accuracy = {"model": result.metrics["model"], **result.metrics["baselines"]}
    logger.info(
        "Test accuracy: %s. %s",
        ", ".join(f"{name} {r['overall']['accuracy']:.4f}" for name, r in accuracy.items()),
        verdict(compare_classifiers(result.metrics)),
    )
    return Evaluation(result.metrics, result.samples)


def score_test_split(
    predictions: PredictionsTable,
    test_shards,
    scaler: dict,
    train_series,
    val_series,
    test_series,
    evaluation: EvaluationParams,
    task: Task,
) -> tuple[dict, dict]:
    """Metrics of the model and each baseline on the same test cases, from the written
    predictions, and samples for the plots. Forecasting reads the train split only (train
    mean, MASE scale); classification fits its baselines on train + val and reads the test
    split's series for 1-NN.

    Returns:
        ``metrics`` (one schema for both tasks) and ``evaluation_samples`` (JSON-ready).
    """
    score = for_task({"forecast": _score_forecast, "classification": _score_classes}, task)
    splits = (train_series, val_series, test_series)
    result = score(predictions, test_shards, scaler, splits, evaluation)
    return result.metrics, result.samples


def plot_evaluation(
    metrics: dict, evaluation_samples: dict, training_history: dict, task: Task
) -> dict:
    """The task's plots as one group: ``{name: (matplotlib figure, Plotly figure)}``."""
    draw = for_task(
        {"forecast": plots.draw_all, "classification": classification_plots.draw_all}, task
    )
    return draw(metrics, evaluation_samples, training_history["history"])


def write_report(metrics: dict, training_history: dict, model_summary: dict, task: Task) -> str:
    """The Markdown report: tables and the verdict against each baseline, training settings,
    plot links."""
    report = for_task({"forecast": markdown_report, "classification": classification_report}, task)
    return report(metrics, training_history, model_summary)


def record_evaluation(
    metrics: dict,
    evaluation_samples: dict,
    predictions: PredictionsTable,
    report: str,
    evaluation_plots: dict,
    task: Task,
) -> dict:
    """The stage record, written last (its inputs are every evaluation output): the model
    against each baseline, and what each artifact holds."""
    record = for_task(
        {"forecast": evaluation_record, "classification": classification_record}, task
    )
    return record(
        metrics,
        evaluation_samples,
        predictions_rows=predictions.num_rows,
        report=report,
        plots=[name for name in evaluation_plots if name != KEY],
    )
