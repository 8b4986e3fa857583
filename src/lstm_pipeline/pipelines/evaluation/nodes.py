"""Evaluation nodes: predict the test split, score it, plot, report, and record the stage.

The work lives in :mod:`lstm_pipeline.evaluation`; these functions only adapt catalog
inputs and parameters to it.
"""

import logging

from lstm_pipeline.evaluation.comparison import headline
from lstm_pipeline.evaluation.plots import draw_all
from lstm_pipeline.evaluation.predicting import PredictionJob
from lstm_pipeline.evaluation.record import evaluation_record
from lstm_pipeline.evaluation.report import markdown_report
from lstm_pipeline.evaluation.scoring import score_predictions
from lstm_pipeline.evaluation.table import PredictionsTable
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.scaling.scaler import Scaler
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries

logger = logging.getLogger(__name__)


def predict_test_split(
    model,
    test_shards: ShardSet,
    scaler: dict,
    train_series: ParquetSeries,
    evaluation: EvaluationParams,
) -> PredictionJob:
    """The model's and the baselines' forecasts of every test window, as a job that the
    ``predictions`` dataset runs, streaming, into its own temporary file.

    Returns:
        A :class:`PredictionJob` (settings checked now; nothing predicted yet).
    """
    return PredictionJob(
        model,
        test_shards,
        Scaler(scaler),
        train_series,
        seasonal_period=evaluation.seasonal_period,
        batch_size=evaluation.batch_size,
    )


def score_test_split(
    predictions: PredictionsTable,
    test_shards: ShardSet,
    scaler: dict,
    train_series: ParquetSeries,
    evaluation: EvaluationParams,
) -> tuple[dict, dict]:
    """Metrics of the model and each baseline from the written predictions, and samples for
    the plots (sampled windows' inputs read from the test shards).

    Returns:
        ``metrics`` and ``evaluation_samples`` (JSON-ready dicts).
    """
    result = score_predictions(
        predictions,
        test_shards,
        Scaler(scaler),
        train_series,
        seasonal_period=evaluation.seasonal_period,
        units=evaluation.units,
        batch_size=evaluation.batch_size,
        sample_windows=evaluation.sample_windows,
        one_step_points=evaluation.one_step_points,
        residual_sample=evaluation.residual_sample,
    )
    logger.info("%s", headline(result.metrics))
    return result.metrics, result.samples


def plot_evaluation(metrics: dict, evaluation_samples: dict, training_history: dict) -> dict:
    """Every plot of ``plots.PLOTS``: ``{name}_plot`` (PNG) and ``{name}_plotly`` (kedro-viz)."""
    figures = draw_all(metrics, evaluation_samples, training_history["history"])
    outputs = {}
    for name, (png, interactive) in figures.items():
        outputs[f"{name}_plot"], outputs[f"{name}_plotly"] = png, interactive
    return outputs


def write_report(metrics: dict, training_history: dict, model_summary: dict) -> str:
    """The Markdown report: tables and verdict per target, training settings, plot links."""
    return markdown_report(metrics, training_history, model_summary)


def record_evaluation(
    metrics: dict,
    evaluation_samples: dict,
    predictions: PredictionsTable,
    report: str,
    **plotly_figures,
) -> dict:
    """The stage record, written last (its inputs are every evaluation output that loads
    back): windows, model vs baselines' MAE/RMSE per target, and the artifacts."""
    plots = [name.removesuffix("_plotly") for name in plotly_figures]
    return evaluation_record(
        metrics,
        evaluation_samples,
        predictions_rows=predictions.num_rows,
        report=report,
        plots=plots,
    )
