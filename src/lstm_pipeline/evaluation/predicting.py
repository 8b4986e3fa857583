"""Forecasts of the model and the naive baselines on exactly the same test windows, streamed.

A :class:`PredictionJob` describes the work; running it (``blocks()`` or ``tables()``)
reads the test windows batch by batch (``make_dataset(shuffle=False)``), so the split is
never whole in memory. The catalog's predictions dataset runs it into its own temporary
file; nothing is predicted before that.

    >>> job = PredictionJob(model, ShardSet(test_dir), Scaler(fitted), ParquetSeries(train),
    ...                     seasonal_period=24)
    >>> write_predictions("predictions.parquet", job.tables(), job.lineage)
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from lstm_pipeline.evaluation.baselines import (
    check_drift_lag,
    drift,
    persistence,
    target_feature_index,
)
from lstm_pipeline.evaluation.many import histories, runs_of, train_parts, window_series
from lstm_pipeline.evaluation.metrics import seasonal_naive_scale
from lstm_pipeline.evaluation.table import MEDIAN, ForecastBlock, block_to_table
from lstm_pipeline.scaling.scaler import Scaler
from lstm_pipeline.windows.reader import past_inputs


@dataclass(frozen=True)
class TrainStatistics:
    """Per target, in original units: the train mean (a baseline) and the in-sample
    seasonal-naive MAE of the train split (the MASE denominator)."""

    mean: np.ndarray
    mase_scale: np.ndarray
    pairs: np.ndarray | None = None  # the pairs ``mase_scale`` averages, per target


def train_statistics(train_series, scaler: Scaler, targets: Sequence[str], period: int):
    """:class:`TrainStatistics` of ``targets``, streamed over the train split's batches
    (NaN skipped; NaN where a target has no value or no pair ``period`` apart)."""
    targets = list(targets)
    totals, counts = np.zeros(len(targets)), np.zeros(len(targets))
    naive_sum, naive_count = np.zeros(len(targets)), np.zeros(len(targets))
    tail = None  # the last season of the previous batch: pairs cross batch borders
    for _, values in train_series.batches(targets):
        original = scaler.inverse_transform(values, targets)
        valid = np.isfinite(original)
        totals += np.where(valid, original, 0).sum(axis=0)
        counts += valid.sum(axis=0)
        joined = original if tail is None else np.concatenate([tail, original])
        for i in range(len(targets)):
            pair_sum, pair_count = seasonal_naive_scale(joined[:, i], period)
            naive_sum[i] += pair_sum
            naive_count[i] += pair_count
        tail = joined[-period:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return TrainStatistics(totals / counts, naive_sum / naive_count, naive_count)


@dataclass
class PredictionJob:
    """The model's and the baselines' forecasts of every test window, run when saved.

    Settings are checked when the job is made (seasonal period against the series, drift lag
    against the window, targets among the features), so a bad one fails before any
    prediction. For a model with a quantile head (``quantile_levels``, read from the model)
    the median is the model's point forecast and every other level goes to the blocks'
    ``quantiles``.
    """

    model: object = field(repr=False)
    shards: object  # a ShardSet: the test windows
    scaler: Scaler = field(repr=False)
    splits: Sequence  # ParquetSeries in time order, train first: the train mean comes from
    # train, seasonal naive reads back through all of them
    seasonal_period: int
    batch_size: int = 512
    drift_lag: int | None = None  # None: the whole input window (input_length - 1)
    lineage: dict | None = None  # which run made the predictions (set by the lineage hook)

    def __post_init__(self) -> None:
        m = self.shards.manifest
        self.targets = list(m.target_columns)
        self._target_inputs = target_feature_index(list(m.feature_columns), self.targets)
        self.drift_lag = self.drift_lag or m.input_length - 1
        check_drift_lag(m.input_length, self.drift_lag)
        self._steps = 1 + m.offset + np.arange(m.horizon)  # d of each horizon step
        self._histories = histories(self.splits, self.targets)
        self._ends = window_end_ns(self.shards)
        self._series = window_series(self.shards)
        for start, _, name in runs_of(self._series, 0, len(self._ends)):  # each series' first
            ends = self._ends[start : start + 1]
            self._histories[name].seasonal_naive(ends, self._steps, self.seasonal_period)
        self.quantile_levels = _model_quantiles(self.model)

    def blocks(self) -> Iterator[ForecastBlock]:
        """Forecast blocks in the test windows' reading order, one per batch."""
        from lstm_pipeline.windows.reader import make_dataset, named_shard_errors

        means = self._train_means()
        first = 0
        with named_shard_errors():
            for batch_inputs, batch_actual in make_dataset(
                self.shards, self.batch_size, shuffle=False
            ):
                inputs, actual = _as_numpy(batch_inputs), batch_actual.numpy()
                for a, b, name in runs_of(self._series, first, len(actual)):
                    ends, rows = self._ends[first + a : first + b], _rows(inputs, a, b)
                    yield self._forecast(rows, actual[a:b], ends, first + a, name, means)
                first += len(actual)

    def _train_means(self) -> dict:
        """The train mean of each series (key None for one series), in original units."""
        names = list(self._histories)
        parts = train_parts(self.splits[0], names)
        return {
            name: train_statistics(
                parts[name], self.scaler.for_series(name), self.targets, self.seasonal_period
            ).mean
            for name in names
        }

    def tables(self) -> Iterator[pa.Table]:
        """:meth:`blocks` as rows of the predictions table."""
        for block in self.blocks():
            yield block_to_table(block, self.targets)

    def _forecast(self, inputs, actual, ends, first, name, means) -> ForecastBlock:
        """The forecasts of windows of one series (``name``; None: one series); ``inputs``
        as the model takes them (with side inputs, a dict)."""
        horizon, history, past = actual.shape[1], self._histories[name], past_inputs(inputs)
        model, quantiles = self._model_forecasts(inputs)
        scaled = {
            "model": model,
            "persistence": persistence(past, self._target_inputs, horizon),
            "seasonal_naive": history.seasonal_naive(ends, self._steps, self.seasonal_period),
            "drift": drift(past, self._target_inputs, self._steps, self.drift_lag),
        }
        back = self.scaler.for_series(name).inverse_transform
        forecasts = {k: back(v, self.targets) for k, v in scaled.items()}
        original_actual = back(actual, self.targets)
        forecasts["train_mean"] = np.broadcast_to(means[name], original_actual.shape)
        # the scalers are increasing per target, so quantiles stay quantiles in original units
        levels = {q: back(v, self.targets) for q, v in quantiles.items()}
        return ForecastBlock(first, ends, original_actual, forecasts, levels, name)

    def _model_forecasts(self, inputs) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """The model's point forecast (a quantile head's median) and its other levels."""
        output = np.asarray(self.model.predict_on_batch(inputs), np.float64)
        if not self.quantile_levels:
            return output, {}
        by_level = {q: output[..., i] for i, q in enumerate(self.quantile_levels)}
        return by_level.pop(MEDIAN), by_level


def _as_numpy(inputs):
    """A batch's inputs as numpy: an array, or a dict of arrays (side inputs)."""
    if isinstance(inputs, dict):
        return {key: value.numpy() for key, value in inputs.items()}
    return inputs.numpy()


def _rows(inputs, start: int, stop: int):
    """Windows ``start`` .. ``stop - 1`` of a batch's inputs."""
    if isinstance(inputs, dict):
        return {key: value[start:stop] for key, value in inputs.items()}
    return inputs[start:stop]


def _model_quantiles(model) -> list[float]:
    """The levels of the model's quantile head; [] for a point forecaster."""
    if not hasattr(model, "layers"):
        return []  # not a Keras model (a stand-in that predicts points)
    from lstm_pipeline.models.quantiles import quantile_levels

    return quantile_levels(model) or []


def window_end_ns(shards) -> np.ndarray:
    """Timestamp (ns) of the last input step of every window, in reading order."""
    m = shards.manifest
    starts = shards.window_start_ns()
    if not m.grid.is_calendar:
        return starts + (m.input_length - 1) * m.grid.step_ns
    return np.array([m.grid.advance(int(s), [m.input_length - 1])[0] for s in starts], np.int64)
