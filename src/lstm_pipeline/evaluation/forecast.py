"""Evaluate a forecaster on a shard folder, batch by batch, in original units.

One pass over the test windows (``make_dataset(shuffle=False)``): the model's predictions
and three baselines on exactly the same windows, metrics accumulated per target and
horizon step, every prediction written to a Parquet file chunk by chunk, and small samples
kept for the plots.

    >>> result = evaluate_forecasts(model, ShardSet("data/05_model_input/test_shards"),
    ...                             Scaler(scaler_dict), ParquetSeries(train_path),
    ...                             seasonal_period=24, predictions_path=tmp_file)
    >>> result.metrics["model"]["overall"]["mae"], result.metrics["skill"]
"""

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lstm_pipeline.evaluation.baselines import (
    baseline_positions,
    persistence,
    seasonal_naive,
    target_feature_index,
)
from lstm_pipeline.evaluation.metrics import ForecastErrors, seasonal_naive_scale

BASELINES = ("persistence", "seasonal_naive", "train_mean")


@dataclass
class Evaluation:
    metrics: dict
    samples: dict = field(default_factory=dict)


def train_statistics(train_series, scaler, targets: list[str], period: int):
    """Per target, in original units: the train mean and the in-sample seasonal-naive MAE
    (the MASE denominator), streamed over the train split."""
    totals = np.zeros(len(targets))
    counts = np.zeros(len(targets))
    naive_sum, naive_count = np.zeros(len(targets)), np.zeros(len(targets))
    tail = None
    for _, values in train_series.batches(targets):
        original = scaler.inverse_transform(values, targets).astype(np.float64)
        valid = np.isfinite(original)
        totals += np.where(valid, original, 0).sum(axis=0)
        counts += valid.sum(axis=0)
        joined = original if tail is None else np.concatenate([tail, original])
        for i in range(len(targets)):
            s, c = seasonal_naive_scale(joined[:, i], period)
            naive_sum[i] += s
            naive_count[i] += c
        tail = joined[-period:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return totals / counts, naive_sum / naive_count


def evaluate_forecasts(
    model,
    shard_set,
    scaler,
    train_series,
    *,
    seasonal_period: int,
    predictions_path,
    batch_size: int = 512,
    sample_windows: int = 4,
    one_step_points: int = 24 * 28,
    residual_sample: int = 50_000,
    seed: int = 0,
) -> Evaluation:
    from lstm_pipeline.windows.reader import make_dataset

    m = shard_set.manifest
    targets = list(m.target_columns)
    horizon, input_length = m.horizon, m.input_length
    target_inputs = target_feature_index(list(m.feature_columns), targets)
    positions = baseline_positions(input_length, horizon, m.offset, seasonal_period)
    train_mean, mase_scale = train_statistics(train_series, scaler, targets, seasonal_period)
    ends = shard_set.window_start_ns() + (input_length - 1) * m.step_ns
    total = len(ends)
    picks = set(np.linspace(0, total - 1, sample_windows).astype(int).tolist()) if total else set()

    center, spread = scaler.parameters(targets)
    tolerance = 1e-6 * (np.abs(center) + np.abs(spread))  # float32 storage of scaled values
    errors = {
        name: ForecastErrors(horizon, len(targets), tolerance) for name in ("model", *BASELINES)
    }
    samples = {"windows": [], "one_step": {"end_ns": [], "actual": [], "predicted": []}}
    residuals: list[np.ndarray] = []
    rng = np.random.default_rng(seed)
    keep = min(1.0, residual_sample / max(1, total * horizon * len(targets)))
    writer = None
    done = 0
    try:
        for batch_inputs, actual_scaled in make_dataset(shard_set, batch_size, shuffle=False):
            inputs = batch_inputs.numpy()
            n = len(inputs)
            forecasts = {
                "model": np.asarray(model.predict_on_batch(inputs), np.float64),
                "persistence": persistence(inputs, target_inputs, horizon),
                "seasonal_naive": seasonal_naive(inputs, target_inputs, positions),
            }
            actual = scaler.inverse_transform(actual_scaled.numpy(), targets)
            originals = {k: scaler.inverse_transform(v, targets) for k, v in forecasts.items()}
            originals["train_mean"] = np.broadcast_to(train_mean, actual.shape)
            for name, forecast in originals.items():
                errors[name].update(actual, forecast)
            batch_ends = ends[done : done + n]
            writer = _write_predictions(
                writer, predictions_path, batch_ends, targets, actual, originals
            )
            residual = originals["model"] - actual
            residuals.append(residual.ravel()[rng.random(residual.size) < keep])
            _keep_samples(
                samples,
                picks,
                done,
                inputs,
                target_inputs,
                scaler,
                targets,
                batch_ends,
                actual,
                originals,
                one_step_points,
            )
            done += n
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no windows: still an (empty) table
        _write_predictions(
            None,
            predictions_path,
            ends[:0],
            targets,
            np.empty((0, horizon, len(targets))),
            {k: np.empty((0, horizon, len(targets))) for k in ("model", *BASELINES)},
        ).close()
    samples["residuals"] = np.concatenate(residuals).tolist() if residuals else []
    samples["targets"] = targets
    return Evaluation(_metrics(errors, mase_scale, targets, seasonal_period, done), samples)


def _metrics(errors, mase_scale, targets, period, windows) -> dict:
    def describe(acc: ForecastErrors) -> dict:
        per_target = acc.summary(mase_scale, axis=0)
        return {
            "overall": acc.summary(mase_scale),
            "per_target": {
                t: {k: v[i] for k, v in per_target.items()} for i, t in enumerate(targets)
            },
            "per_horizon_step": {
                k: v for k, v in acc.summary(mase_scale, axis=1).items() if k != "count"
            },
        }

    model = describe(errors["model"])
    baselines = {name: describe(errors[name]) for name in BASELINES}
    skill = {}
    for name, result in baselines.items():
        reference = result["overall"]["mae"]
        skill[name] = None if not reference else 1 - model["overall"]["mae"] / reference
    return {
        "windows": windows,
        "units": "original (inverse-transformed with the stored scaler)",
        "seasonal_period": period,
        "mase_scale": dict(zip(targets, np.asarray(mase_scale).tolist(), strict=True)),
        "model": model,
        "baselines": baselines,
        "skill_vs_baselines": skill,
        "skill_definition": "1 - MAE(model) / MAE(baseline): above 0 means the model is better",
    }


def _write_predictions(writer, path, ends, targets, actual, forecasts):
    n, horizon, n_targets = actual.shape
    columns = {
        "window_end": pa.array(np.repeat(ends, horizon * n_targets).astype("datetime64[ns]")),
        "horizon_step": pa.array(
            np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), n).astype(np.int16)
        ),
        "target": pa.array(np.tile(np.asarray(targets, dtype=object), n * horizon)),
        "actual": pa.array(actual.reshape(-1).astype(np.float32)),
    }
    for name in ("model", *BASELINES):
        label = "predicted" if name == "model" else name
        columns[label] = pa.array(np.asarray(forecasts[name]).reshape(-1).astype(np.float32))
    table = pa.table(columns)
    if writer is None:
        writer = pq.ParquetWriter(str(path), table.schema)
    writer.write_table(table)
    return writer


def _keep_samples(
    samples,
    picks,
    first,
    inputs,
    target_inputs,
    scaler,
    targets,
    ends,
    actual,
    forecasts,
    one_step_points,
):
    for i in range(len(inputs)):
        if first + i in picks:
            history = scaler.inverse_transform(inputs[i][:, target_inputs], targets)
            samples["windows"].append(
                {
                    "end_ns": int(ends[i]),
                    "history": history.tolist(),
                    "actual": actual[i].tolist(),
                    **{name: np.asarray(f[i]).tolist() for name, f in forecasts.items()},
                }
            )
    one_step = samples["one_step"]
    room = one_step_points - len(one_step["end_ns"])
    if room > 0:
        one_step["end_ns"].extend(ends[:room].tolist())
        one_step["actual"].extend(actual[:room, 0].tolist())
        one_step["predicted"].extend(np.asarray(forecasts["model"])[:room, 0].tolist())
