"""Evaluation nodes: test-split metrics and predictions, plots, and the Markdown report."""

import logging
import os
import tempfile
from pathlib import Path

from lstm_pipeline.evaluation import plots
from lstm_pipeline.evaluation.forecast import evaluate_forecasts
from lstm_pipeline.evaluation.report import markdown_report
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.scaling.scaler import Scaler
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries

logger = logging.getLogger(__name__)


def evaluate_test_split(
    model,
    test_shards: ShardSet,
    scaler: dict,
    train_series: ParquetSeries,
    evaluation: EvaluationParams,
):
    """Metrics (model and baselines on the same windows), the predictions table (written
    batch by batch to a temporary file the dataset renames into place) and plot samples."""
    handle, name = tempfile.mkstemp(prefix="predictions-", suffix=".parquet")
    os.close(handle)  # pyarrow's writer reopens it; the dataset moves it into place
    predictions = Path(name)
    result = evaluate_forecasts(
        model,
        test_shards,
        Scaler(scaler),
        train_series,
        seasonal_period=evaluation.seasonal_period,
        predictions_path=predictions,
        batch_size=evaluation.batch_size,
        sample_windows=evaluation.sample_windows,
        one_step_points=evaluation.one_step_points,
        residual_sample=evaluation.residual_sample,
    )
    overall = result.metrics["model"]["overall"]
    logger.info(
        "test: MAE %.4f, RMSE %.4f, MASE %.3f; skill vs persistence %.3f, seasonal naive %.3f",
        overall["mae"],
        overall["rmse"],
        overall["mase"],
        result.metrics["skill_vs_baselines"]["persistence"],
        result.metrics["skill_vs_baselines"]["seasonal_naive"],
    )
    return result.metrics, str(predictions), result.samples


def plot_evaluation(metrics: dict, samples: dict, training_history: dict):
    """PNG figures (matplotlib) and their interactive Plotly twins (kedro-viz previews)."""
    history = training_history["history"]
    interactive = plots.plotly_versions(metrics, samples, history)
    return (
        plots.learning_curves(history),
        plots.forecast_windows(samples),
        plots.one_step_series(samples),
        plots.error_by_horizon(metrics),
        plots.residual_distribution(samples),
        *(interactive[name] for name in PLOT_NAMES),
    )


PLOT_NAMES = ("learning_curves", "forecast_windows", "one_step", "error_by_horizon", "residuals")


def write_report(metrics: dict, training_history: dict, model_summary: dict) -> str:
    return markdown_report(metrics, training_history, model_summary)
