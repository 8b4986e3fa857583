"""evaluate_forecasts: baselines and actuals checked against an independent computation on
the raw (unscaled) series, for exactly the windows the model sees."""

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.evaluation.forecast import evaluate_forecasts
from lstm_pipeline.models import ModelSpec, build_model
from lstm_pipeline.scaling.scaler import Scaler, fit_scaler
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H, PERIOD = 30, 5, 24


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluation")
    rng = np.random.default_rng(0)
    t = np.arange(700)
    raw = pd.DataFrame(
        {
            "load": 50 + 10 * np.sin(2 * np.pi * t / PERIOD) + rng.normal(size=700),
            "temp": 20 + rng.normal(size=700),
        },
        index=pd.date_range("2021-01-01", periods=700, freq="1h", name="timestamp"),
    ).astype("float32")
    raw.iloc[600, 0] = 0.0  # a zero actual (test row 100) for MAPE to leave out
    train, test = raw.iloc[:500], raw.iloc[500:]
    scaler = Scaler(fit_scaler(train, "standard", list(raw.columns)))
    for name, part in (("train", train), ("test", test)):
        scaler.transform(part).to_parquet(tmp / f"{name}.parquet")
    WindowingJob(
        source=ParquetSeries(tmp / "test.parquet"),
        spec=WindowSpec(L, H),
        features=["load", "temp"],
        targets=["load"],
        fmt="hdf5",
        layout="segments",
        segment_rows=80,
        shard_mb=0.005,
    ).write(tmp / "test_shards")
    keras.utils.set_random_seed(0)
    model = build_model(
        ModelSpec(recurrent={"units": [4]}), input_length=L, n_features=2, horizon=H
    )
    result = evaluate_forecasts(
        model,
        ShardSet(tmp / "test_shards"),
        scaler,
        ParquetSeries(tmp / "train.parquet"),
        seasonal_period=PERIOD,
        predictions_path=tmp / "predictions.parquet",
        batch_size=16,
        sample_windows=3,
    )
    predictions = pd.read_parquet(tmp / "predictions.parquet")
    return raw, train, test, result, predictions, model, scaler


def test_every_window_and_step_is_in_the_predictions_table(evaluated):
    raw, train, test, result, predictions, *_ = evaluated
    windows = len(test) - L - H + 1
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
        "train_mean",
    ]


def test_actuals_and_baselines_equal_an_independent_computation(evaluated):
    raw, train, test, result, predictions, *_ = evaluated
    load = raw["load"]
    step = pd.Timedelta("1h")
    ends = pd.to_datetime(predictions["window_end"])
    k = predictions["horizon_step"].to_numpy()
    target_times = ends + k * step
    # the inverse transform brings back the raw values (float32 round trip)
    # (float32 storage of scaled values: a true zero comes back within a few 1e-6)
    close = {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(predictions["actual"], load.loc[target_times], **close)
    np.testing.assert_allclose(predictions["persistence"], load.loc[ends], **close)
    seasons = np.ceil(k / PERIOD).astype(int) * PERIOD
    seasonal_times = target_times - pd.to_timedelta(seasons, unit="h")
    np.testing.assert_allclose(predictions["seasonal_naive"], load.loc[seasonal_times], **close)
    np.testing.assert_allclose(predictions["train_mean"], train["load"].mean(), rtol=1e-5)


def test_baseline_metrics_and_mase_scale_equal_an_independent_computation(evaluated):
    raw, train, test, result, predictions, *_ = evaluated
    metrics = result.metrics
    for name in ("persistence", "seasonal_naive", "train_mean"):
        mae = np.abs(predictions[name] - predictions["actual"]).mean()
        assert metrics["baselines"][name]["overall"]["mae"] == pytest.approx(mae, rel=1e-5)
    values = train["load"].to_numpy(np.float64)
    scale = np.abs(values[PERIOD:] - values[:-PERIOD]).mean()
    assert metrics["mase_scale"]["load"] == pytest.approx(scale, rel=1e-5)
    model_mae = np.abs(predictions["predicted"] - predictions["actual"]).mean()
    assert metrics["model"]["overall"]["mase"] == pytest.approx(model_mae / scale, rel=1e-5)
    assert metrics["skill_vs_baselines"]["persistence"] == pytest.approx(
        1 - model_mae / metrics["baselines"]["persistence"]["overall"]["mae"], rel=1e-6
    )


def test_model_predictions_are_the_models_outputs_in_original_units(evaluated):
    raw, train, test, result, predictions, model, scaler = evaluated
    scaled = scaler.transform(test).to_numpy(np.float32)
    first_window = scaled[None, :L]
    expected = scaler.inverse_transform(model.predict(first_window, verbose=0)[0], ["load"])
    np.testing.assert_allclose(predictions["predicted"][:H], expected[:, 0], rtol=1e-5)


def test_plot_samples_and_mape_exclusions(evaluated):
    raw, train, test, result, *_ = evaluated
    samples = result.samples
    assert len(samples["windows"]) == 3
    assert len(samples["windows"][0]["history"]) == L
    assert samples["residuals"]
    # test row 100 is zero: it is the target of H (window, step) pairs
    assert result.metrics["model"]["overall"]["zero_actuals_excluded_from_mape"] == H
