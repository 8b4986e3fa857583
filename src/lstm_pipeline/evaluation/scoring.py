"""Score a written predictions table: metrics of the model and each baseline, plot samples.

One streaming pass over the table (:class:`MetricsAccumulator` and :class:`SampleCollector`
fed the same blocks), in float64, then three small steps: the metrics dict, a check that
float32 storage left the metrics meaningful, and the input history of the sampled windows.

    >>> result = score_predictions(PredictionsTable(path), ShardSet(test_dir), Scaler(fitted),
    ...                            ParquetSeries(train_path), seasonal_period=24,
    ...                            units={"load": "kW"})
    >>> result.metrics["model"]["overall"]["mae"], result.metrics["skill_vs_baselines"]
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lstm_pipeline.errors import GenerationMismatchError, PrecisionLossError
from lstm_pipeline.evaluation.many import runs_of, train_parts, window_series
from lstm_pipeline.evaluation.metrics import ForecastErrors
from lstm_pipeline.evaluation.predicting import TrainStatistics, train_statistics
from lstm_pipeline.evaluation.quantiles import QuantileScores
from lstm_pipeline.evaluation.sampling import SampleCollector, window_histories
from lstm_pipeline.evaluation.table import BASELINES, FORECASTERS, ForecastBlock
from lstm_pipeline.evaluation.units import storage_half_step, unit_label

logger = logging.getLogger(__name__)

# A metric whose float32 storage uncertainty is above this share of itself is not reported.
RESOLUTION_LIMIT = 0.01


@dataclass
class Evaluation:
    metrics: dict
    samples: dict = field(default_factory=dict)


class MetricsAccumulator:
    """Running error sums per forecaster, target and horizon step, plus how coarse the
    stored actuals are; feed it :class:`ForecastBlock` s, then call :meth:`metrics`."""

    def __init__(self, targets: list[str], horizon: int, scaler) -> None:
        self.targets, self.scaler = list(targets), scaler
        center, spread = scaler.parameters(self.targets)
        # "zero" for MAPE: within float32 storage of the scaled value, per target
        tolerance = 1e-6 * (np.abs(center) + np.abs(spread))
        self.errors = {n: ForecastErrors(horizon, len(targets), tolerance) for n in FORECASTERS}
        self.half_step_sum = np.zeros(len(targets))
        self.half_step_count = np.zeros(len(targets), np.int64)
        self.windows = 0
        self.quantiles: QuantileScores | None = None  # made by the first quantile block

    def update(self, block: ForecastBlock) -> None:
        """Add the errors of every forecaster on ``block`` (and its quantiles' scores)."""
        for name in FORECASTERS:
            self.errors[name].update(block.actual, block.forecasts[name])
        levels = block.quantile_forecasts()
        if levels:
            if self.quantiles is None:
                self.quantiles = QuantileScores(list(levels), len(self.targets))
            self.quantiles.update(block.actual, levels)
        valid = np.isfinite(block.actual)
        half_step = storage_half_step(self.scaler, np.where(valid, block.actual, 0), self.targets)
        self.half_step_sum += np.where(valid, half_step, 0).sum(axis=(0, 1))
        self.half_step_count += valid.sum(axis=(0, 1))
        self.windows += len(block)

    def metrics(self, train: TrainStatistics, seasonal_period: int, units: Mapping) -> dict:
        """The metrics dict (see the README's evaluation section), JSON-ready."""
        scored = {n: _describe(self.errors[n], train.mase_scale, self.targets) for n in FORECASTERS}
        model, overall_mae = scored["model"], scored["model"]["overall"]["mae"]
        with np.errstate(divide="ignore", invalid="ignore"):
            resolution = self.half_step_sum / self.half_step_count
        unused = sorted(set(units) - set(self.targets))
        if unused:  # a typo would silently print "original units"
            logger.warning(
                "evaluation.units names %s, not among the targets %s", unused, self.targets
            )
        result = {
            "task": "forecast",
            "windows": self.windows,
            "targets": self.targets,
            "units": {t: unit_label(units, t) for t in self.targets},
            "units_note": "original units: inverse-transformed with the stored scaler",
            "seasonal_period": seasonal_period,
            "mase_scale": _per_target(self.targets, train.mase_scale),
            "storage_resolution": _per_target(self.targets, resolution),
            "model": model,
            "baselines": {name: scored[name] for name in BASELINES},
            "skill_vs_baselines": {
                name: skill(overall_mae, scored[name]["overall"]["mae"]) for name in BASELINES
            },
            "skill_definition": "1 - MAE(model) / MAE(baseline): above 0 means the model is better",
        }
        if self.quantiles is not None:  # a quantile head: absent otherwise, as before
            result["quantiles"] = self.quantiles.summary(self.targets)
        return result


def _update_per_series(per_series: dict, names, block: ForecastBlock) -> None:
    """Add each series' windows of ``block`` to its own accumulator (many series only)."""
    if names is None:
        return
    for start, stop, name in runs_of(names, block.first, len(block)):
        per_series[name].update(block.slice(start, stop))


def _train_statistics(train_series, scaler, targets, period: int, names) -> dict:
    """:class:`TrainStatistics` per series (key None for one series)."""
    keys = [None] if names is None else list(dict.fromkeys(names))
    parts = train_parts(train_series, keys)
    return {n: train_statistics(parts[n], scaler.for_series(n), targets, period) for n in keys}


def pooled(trains: dict) -> TrainStatistics:
    """One series' statistics, or every series' pooled: the mean of the means, the
    in-sample naive MAE over all pairs of all series (the pooled MASE scale)."""
    if list(trains) == [None]:
        return trains[None]
    stats = list(trains.values())
    pairs = np.sum([s.pairs for s in stats], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sum([s.mase_scale * s.pairs for s in stats], axis=0) / pairs
    return TrainStatistics(np.mean([s.mean for s in stats], axis=0), scale, pairs)


def series_metrics(per_series: dict, trains: dict, period: int, units: Mapping) -> dict:
    """``series``: each series' overall metrics of the model and the baselines (MASE by
    its own train scale); ``series_mean``: their mean over the series, per forecaster."""
    result = {}
    for name, accumulator in per_series.items():
        scored = accumulator.metrics(trains[name], period, units)
        result[name] = {
            "windows": scored["windows"],
            "model": scored["model"]["overall"],
            **{b: scored["baselines"][b]["overall"] for b in BASELINES},
        }
    mean = {
        forecaster: {
            metric: _mean([r[forecaster][metric] for r in result.values()])
            for metric in ("mae", "rmse", "mape", "smape", "mase")
        }
        for forecaster in FORECASTERS
    }
    return {"series": result, "series_mean": mean}


def _mean(values: list) -> float | None:
    present = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(present)) if present else None


def skill(model_mae: float | None, baseline_mae: float | None) -> float | None:
    """1 - model MAE / baseline MAE; None where either is missing or the baseline is 0."""
    if model_mae is None or not baseline_mae:
        return None
    return 1 - model_mae / baseline_mae


def _describe(errors: ForecastErrors, mase_scale: np.ndarray, targets: list[str]) -> dict:
    per_target = errors.summary(mase_scale, axis=0)
    per_step = errors.summary(mase_scale, axis=1)
    return {
        "overall": errors.summary(mase_scale),
        "per_target": {t: {k: v[i] for k, v in per_target.items()} for i, t in enumerate(targets)},
        "per_horizon_step": {k: v for k, v in per_step.items() if k != "count"},
    }


def _per_target(targets: list[str], values: np.ndarray) -> dict:
    return {t: (float(v) if np.isfinite(v) else None) for t, v in zip(targets, values, strict=True)}


def check_storage_resolution(metrics: dict, scaler) -> None:
    """Stop when float32 storage alone could explain a forecaster's MAE on a target.

    A stored actual may be off by its half step (``storage_resolution``), a stored
    forecast by as much again; when that bound is above :data:`RESOLUTION_LIMIT` of a MAE,
    the comparison of forecasters means nothing.

    Raises:
        PrecisionLossError: naming the target, the forecaster and the scaler's spread.
    """
    scored = {"model": metrics["model"], **metrics["baselines"]}
    for target, half_step in metrics["storage_resolution"].items():
        for name, result in scored.items():
            mae = result["per_target"][target]["mae"]
            if half_step is None or mae is None or 2 * half_step <= RESOLUTION_LIMIT * mae:
                continue
            center, spread = scaler.parameters([target])
            unit = metrics["units"][target]
            raise PrecisionLossError(
                f"Target '{target}': its test values are stored scaled in float32 (scaler "
                f"center {center[0]:.6g}, spread {spread[0]:.6g}), which holds them only to "
                f"+-{half_step:.3g} {unit}, too coarse for {name}'s MAE of {mae:.6g} {unit}: "
                f"the metrics would be noise. A huge value in the train split usually sets "
                f"such a spread: remove it at ingestion, or use normalisation.scaler: robust."
            )


def score_predictions(
    predictions,
    shards,
    scaler,
    train_series,
    *,
    seasonal_period: int,
    mase_period: int | None = None,
    units: Mapping[str, str] | None = None,
    batch_size: int = 512,
    sample_windows: int = 4,
    one_step_points: int = 24 * 28,
    residual_sample: int = 50_000,
    seed: int = 0,
) -> Evaluation:
    """Metrics and plot samples of a predictions table (a :class:`PredictionsTable`) of
    the windows in ``shards``, streamed ``batch_size`` windows at a time. MASE divides by
    the train split's in-sample naive MAE at lag ``mase_period`` (None: seasonal_period).

    Raises:
        GenerationMismatchError: the table does not hold one row per window, step and
            target of ``shards``.
        PrecisionLossError: see :func:`check_storage_resolution`.
    """
    m = shards.manifest
    targets, horizon = list(m.target_columns), m.horizon
    _check_table_matches(predictions, shards, horizon * len(targets))
    mase_period = mase_period or seasonal_period
    names = window_series(shards)
    trains = _train_statistics(train_series, scaler, targets, mase_period, names)
    accumulator = MetricsAccumulator(targets, horizon, scaler)
    per_series = {n: MetricsAccumulator(targets, horizon, scaler.for_series(n)) for n in trains}
    sizes = (sample_windows, one_step_points, residual_sample)
    collector = SampleCollector(m.windows_total, horizon * len(targets), *sizes, seed)
    for block in predictions.blocks(targets, horizon, batch_size):
        accumulator.update(block)
        collector.update(block)
        _update_per_series(per_series, names, block)
    metrics = accumulator.metrics(pooled(trains), seasonal_period, units or {})
    metrics["mase_period"] = mase_period
    metrics["frequency"] = m.frequency  # horizon labels in the report and the plots
    if names is not None:
        metrics.update(series_metrics(per_series, trains, seasonal_period, units or {}))
    check_storage_resolution(metrics, scaler)
    histories = window_histories(shards, collector.picks, batch_size, scaler, targets)
    return Evaluation(metrics, collector.samples(targets, histories))


def _check_table_matches(predictions, shards, rows_per_window: int) -> None:
    expected = shards.manifest.windows_total * rows_per_window
    if predictions.num_rows != expected:
        raise GenerationMismatchError(
            f"The predictions table '{predictions.path}' has {predictions.num_rows} rows, but "
            f"the test shards '{shards.folder}' give {expected} (windows x horizon x "
            f"targets): they come from different runs. Run the evaluation pipeline again."
        )
