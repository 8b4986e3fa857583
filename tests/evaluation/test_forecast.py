"""Predicting and scoring the test windows: baselines, actuals and metrics checked against an
independent float64 computation on the raw (unscaled) series, for exactly the windows the
model sees; huge spikes end in correct metrics or a clear error."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import PrecisionLossError
from lstm_pipeline.evaluation.predicting import PredictionJob, TrainStatistics
from lstm_pipeline.evaluation.scoring import MetricsAccumulator, score_predictions
from lstm_pipeline.evaluation.table import PredictionsTable, write_predictions
from tests.evaluation.conftest import PERIOD, H, L, make_case, raw_series


def evaluate(case, model, batch_size=16, **kwargs):
    """Run the job into a Parquet file, then score that file, as the pipeline does."""
    job = PredictionJob(model, case.shards, case.scaler, case.splits, PERIOD, batch_size)
    path = case.folder / "predictions.parquet"
    write_predictions(path, job.tables())
    table = PredictionsTable(path)
    result = score_predictions(
        table,
        case.shards,
        case.scaler,
        case.train_series,
        seasonal_period=PERIOD,
        units={"load": "kW"},
        batch_size=batch_size,
        **kwargs,
    )
    return result, table.to_pandas()


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_model):
    case = make_case(tmp_path_factory.mktemp("evaluation"), raw_series())
    result, predictions = evaluate(case, tiny_model, sample_windows=3)
    return case, result, predictions


def oracle(case, model) -> dict[str, np.ndarray]:
    """(windows, H) actuals and forecasts from the raw series, in float64, without the
    project's windowing, predicting or scoring code."""
    load = case.test["load"].to_numpy(np.float64)
    scaled = case.scaler.transform(case.test).to_numpy(np.float32)
    starts = np.arange(len(load) - L - H + 1)
    steps = np.arange(1, H + 1)
    target_rows = starts[:, None] + L - 1 + steps
    last = load[starts + L - 1]
    center = case.scaler.fitted["center"]["load"]
    spread = case.scaler.fitted["scale"]["load"]
    inputs = np.stack([scaled[s : s + L] for s in starts])
    predicted = model.predict(inputs, verbose=0)[:, :, 0].astype(np.float64) * spread + center
    seasons = np.ceil(steps / PERIOD).astype(int) * PERIOD
    return {
        "actual": load[target_rows],
        "model": predicted,
        "persistence": np.repeat(load[starts + L - 1][:, None], H, axis=1),
        "seasonal_naive": load[target_rows - seasons],
        "drift": last[:, None] + steps[None, :] * (last - load[starts])[:, None] / (L - 1),
        "train_mean": np.full((len(starts), H), case.train["load"].to_numpy(np.float64).mean()),
    }


def test_every_window_and_step_is_in_the_predictions_table(evaluated):
    case, result, predictions = evaluated
    windows = len(case.test) - L - H + 1
    assert result.metrics["windows"] == windows
    assert len(predictions) == windows * H
    assert list(predictions.columns) == [
        "window_end",
        "horizon_step",
        "target",
        "actual",
        "predicted",
        "persistence",
        "seasonal_naive",
        "drift",
        "train_mean",
    ]


def test_actuals_and_baselines_equal_an_independent_computation(evaluated):
    case, result, predictions = evaluated
    load = case.raw["load"]
    ends = pd.to_datetime(predictions["window_end"])
    k = predictions["horizon_step"].to_numpy()
    target_times = ends + k * pd.Timedelta("1h")
    # float32 storage of scaled values: a true zero comes back within a few 1e-6
    close = {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(predictions["actual"], load.loc[target_times], **close)
    np.testing.assert_allclose(predictions["persistence"], load.loc[ends], **close)
    seasons = np.ceil(k / PERIOD).astype(int) * PERIOD
    seasonal_times = target_times - pd.to_timedelta(seasons, unit="h")
    np.testing.assert_allclose(predictions["seasonal_naive"], load.loc[seasonal_times], **close)
    # drift (lag input_length - 1): the line through the window's first and last input
    first_times = ends - (L - 1) * pd.Timedelta("1h")
    slope = (load.loc[ends].to_numpy() - load.loc[first_times].to_numpy()) / (L - 1)
    expected_drift = load.loc[ends].to_numpy() + k * slope
    np.testing.assert_allclose(predictions["drift"], expected_drift, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(predictions["train_mean"], case.train["load"].mean(), rtol=1e-5)


def test_baseline_metrics_and_mase_scale_equal_an_independent_computation(evaluated):
    case, result, predictions = evaluated
    metrics = result.metrics
    for name in ("persistence", "seasonal_naive", "drift", "train_mean"):
        mae = np.abs(predictions[name] - predictions["actual"]).mean()
        assert metrics["baselines"][name]["overall"]["mae"] == pytest.approx(mae, rel=1e-5)
    values = case.train["load"].to_numpy(np.float64)
    scale = np.abs(values[PERIOD:] - values[:-PERIOD]).mean()
    assert metrics["mase_scale"]["load"] == pytest.approx(scale, rel=1e-5)
    model_mae = np.abs(predictions["predicted"] - predictions["actual"]).mean()
    assert metrics["model"]["overall"]["mase"] == pytest.approx(model_mae / scale, rel=1e-5)
    assert metrics["skill_vs_baselines"]["persistence"] == pytest.approx(
        1 - model_mae / metrics["baselines"]["persistence"]["overall"]["mae"], rel=1e-6
    )
    assert metrics["units"] == {"load": "kW"}


def test_model_predictions_are_the_models_outputs_in_original_units(evaluated, tiny_model):
    case, result, predictions = evaluated
    expected = oracle(case, tiny_model)["model"][0]
    np.testing.assert_allclose(predictions["predicted"][:H], expected, rtol=1e-5)


def test_plot_samples_and_mape_exclusions(evaluated):
    case, result, _ = evaluated
    samples = result.samples
    assert len(samples["windows"]) == 3
    # the sampled windows' history is their inputs, read back from the shards
    first = samples["windows"][0]
    assert pd.Timestamp(first["end_ns"]) == case.test.index[L - 1]
    np.testing.assert_allclose(
        np.asarray(first["history"])[:, 0], case.test["load"].iloc[:L], rtol=1e-5
    )
    assert samples["residuals"]
    # test row 100 is zero: it is the target of H (window, step) pairs
    assert result.metrics["model"]["overall"]["zero_actuals_excluded_from_mape"] == H


def test_a_1e30_spike_in_the_test_split_gives_the_float64_metrics(tmp_path, tiny_model):
    """A huge but finite actual (squared: 1e60, beyond float32) is scored in float64."""
    case = make_case(tmp_path, raw_series(spikes={620: 1e30}))
    result, _ = evaluate(case, tiny_model, batch_size=64)
    expected = oracle(case, tiny_model)
    for name in ("model", "persistence", "seasonal_naive", "train_mean"):
        error = expected[name] - expected["actual"]
        metrics = result.metrics["model" if name == "model" else "baselines"]
        overall = (metrics if name == "model" else metrics[name])["overall"]
        assert overall["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-5), name
        assert overall["rmse"] == pytest.approx(np.sqrt((error**2).mean()), rel=1e-5), name
    assert result.metrics["model"]["overall"]["rmse"] > 1e28


def test_a_1e30_spike_in_the_train_split_is_a_clear_error_not_a_type_error(tmp_path, tiny_model):
    # the spike sets the scaler's spread (~4e28): float32 scaled values cannot hold a
    # value of 50 to better than ~1e20, so every test actual comes back the same
    case = make_case(tmp_path, raw_series(spikes={100: 1e30}))
    with pytest.raises(PrecisionLossError, match=r"Target 'load'.*normalisation.scaler: robust"):
        evaluate(case, tiny_model, batch_size=64)


def test_a_unit_for_a_column_that_is_no_target_is_warned_about(evaluated, caplog):
    case, *_ = evaluated
    accumulator = MetricsAccumulator(["load"], H, case.scaler)
    statistics = TrainStatistics(mean=np.ones(1), mase_scale=np.ones(1))
    with caplog.at_level("WARNING"):
        metrics = accumulator.metrics(statistics, PERIOD, {"lod": "kW"})
    assert metrics["units"] == {"load": "original units"}
    assert "evaluation.units names ['lod'], not among the targets ['load']" in caplog.text


def test_drift_extends_the_line_through_the_values_lag_apart():
    from lstm_pipeline.errors import ModelSpecError
    from lstm_pipeline.evaluation.baselines import check_drift_lag, drift

    inputs = np.array([0.0, 1, 2, 4, 7])[None, :, None]  # one window, one target
    # lag 2: through 2 (two steps before the end) and 7, slope 2.5 per step
    np.testing.assert_allclose(drift(inputs, [0], np.array([1, 2, 3]), 2)[0, :, 0], [9.5, 12, 14.5])
    with pytest.raises(ModelSpecError, match="drift_lag 5: .* between 1 and .* = 4"):
        check_drift_lag(5, 5)


def test_mase_keeps_its_own_period(evaluated, tiny_model):
    case, daily, _ = evaluated
    result, predictions = evaluate(case, tiny_model, mase_period=1)
    values = case.train["load"].to_numpy(np.float64)
    scale = np.abs(np.diff(values)).mean()  # the in-sample one-step naive MAE
    assert result.metrics["mase_period"] == 1 and daily.metrics["mase_period"] == PERIOD
    assert result.metrics["mase_scale"]["load"] == pytest.approx(scale, rel=1e-5)
    model_mae = np.abs(predictions["predicted"] - predictions["actual"]).mean()
    assert result.metrics["model"]["overall"]["mase"] == pytest.approx(model_mae / scale, rel=1e-5)
