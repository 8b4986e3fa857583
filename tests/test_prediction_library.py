"""lstm_pipeline.prediction without Kedro: forecasts of many series with their own scalers
and a quantile head, against the model and the scalers applied by hand; the checks that
refuse mismatching new data."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.prediction import InputMismatchError, TrainedSeries
from lstm_pipeline.prediction.checks import check_columns, check_native_step
from lstm_pipeline.prediction.forecasting import forecast_ahead
from lstm_pipeline.prediction.series import model_window

LENGTH, HORIZON, LEVELS = 5, 3, [0.1, 0.5, 0.9]
RECORD = {
    "input_length": LENGTH,
    "horizon": HORIZON,
    "offset": 1,
    "frequency": "MS",
    "feature_columns": ["price", "volume", "series=A", "series=B"],
    "target_columns": ["price"],
    "future_columns": [],
    "side_inputs": {"future": 0, "series": 0},
}


def _scaler(center: float, scale: float) -> dict:
    return {
        "method": "standard",
        "columns": ["price", "volume"],
        "center": {"price": center, "volume": 10.0},
        "scale": {"price": scale, "volume": 2.0},
        "pca": None,
    }


SCALER = {
    **_scaler(0.0, 1.0),
    "series": {"names": ["A", "B"], "static_input": "onehot"},
    "per_series": {"A": _scaler(100.0, 5.0), "B": _scaler(20.0, 0.5)},
    "calendar": [],
    "categorical": None,
}


def _new_series() -> pd.DataFrame:
    """Two monthly series as ingestion writes them, B's code first in the new data (the
    new file lists B before A): 7 months of A, 6 of B, ending in different months."""
    rng = np.random.default_rng(3)
    a = pd.date_range("2020-01-01", periods=7, freq="MS")
    b = pd.date_range("2020-03-01", periods=6, freq="MS")
    frame = pd.DataFrame(
        {
            "price": np.r_[rng.normal(20, 1, 6), rng.normal(100, 5, 7)].astype(np.float32),
            "volume": rng.normal(10, 2, 13).astype(np.float32),
            "series": np.r_[np.zeros(6), np.ones(7)].astype(np.float32),
        },
        index=pd.DatetimeIndex(np.r_[b, a], name="timestamp"),
    )
    frame.attrs = {"frequency": "MS", "series": [["B", 6], ["A", 7]], "files": ["new.csv"]}
    return frame


def _quantile_model():
    import keras

    from lstm_pipeline.models.quantiles import quantile_output

    keras.utils.set_random_seed(0)
    inputs = keras.Input((LENGTH, len(RECORD["feature_columns"])))
    raw = keras.layers.Dense(HORIZON * len(LEVELS))(keras.layers.Flatten()(inputs))
    raw = keras.layers.Reshape((HORIZON, 1, len(LEVELS)))(raw)
    return keras.Model(inputs, quantile_output(raw, LEVELS, name="quantiles"))


def test_many_series_forecasts_with_quantiles_equal_the_model_by_hand():
    series, model = _new_series(), _quantile_model()
    window = model_window(series, SCALER, RECORD)
    table = forecast_ahead(model, window, SCALER, RECORD)
    assert list(table.columns) == [
        *["window_end", "horizon_step", "timestamp", "target", "predicted", "q0.1", "q0.9"],
        "series",
    ]
    for name, code, onehot in (("A", 1, [1, 0]), ("B", 0, [0, 1])):
        own = SCALER["per_series"][name]
        last = series[series["series"] == code].iloc[-LENGTH:]
        price = (last["price"].to_numpy(np.float64) - own["center"]["price"]) / own["scale"][
            "price"
        ]
        volume = (last["volume"].to_numpy(np.float64) - 10.0) / 2.0
        inputs = np.column_stack([price, volume, np.tile(onehot, (LENGTH, 1))])[None]
        out = np.asarray(model.predict_on_batch(inputs.astype(np.float32)), np.float64)[0, :, 0]
        expected = out * own["scale"]["price"] + own["center"]["price"]  # (horizon, levels)
        rows = table[table["series"] == name]
        np.testing.assert_allclose(rows["predicted"], expected[:, 1], rtol=1e-5)
        np.testing.assert_allclose(rows["q0.1"], expected[:, 0], rtol=1e-5)
        np.testing.assert_allclose(rows["q0.9"], expected[:, 2], rtol=1e-5)
        # offset 1: the first forecast is two months after the last input month
        end = last.index[-1]
        assert (rows["window_end"] == end).all()
        assert list(rows["timestamp"]) == [end + pd.DateOffset(months=k + 2) for k in range(3)]


def test_a_series_the_model_never_saw_is_refused():
    series = _new_series()
    series.attrs["series"] = [["C", 6], ["A", 7]]
    with pytest.raises(InputMismatchError, match=r"series \['C'\].*new\.csv|new\.csv.*\['C'\]"):
        model_window(series, SCALER, RECORD)


def test_too_short_or_gappy_last_window_is_refused():
    series = _new_series()
    with pytest.raises(InputMismatchError, match="windows of 9"):
        model_window(series, SCALER, {**RECORD, "input_length": 9})
    series.iloc[-2, series.columns.get_loc("volume")] = np.nan
    with pytest.raises(InputMismatchError, match=r"series A\).*'volume' is missing at 2020-06"):
        model_window(series, SCALER, RECORD)


TRAINED = TrainedSeries(columns=("a", "y"), native="1h", frequency="1h")


def test_columns_must_be_the_trained_ones():
    check_columns("f.csv", ["a", "y"], TRAINED)
    with pytest.raises(InputMismatchError, match=r"'f\.csv' has no column\(s\) \['a'\]"):
        check_columns("f.csv", ["y"], TRAINED)
    with pytest.raises(InputMismatchError, match=r"'f\.csv' has column\(s\) \['b'\]"):
        check_columns("f.csv", ["a", "b", "y"], TRAINED)


def test_the_raw_step_must_be_the_trained_one():
    hourly = pd.DataFrame({"a": range(6)}, index=pd.date_range("2020", periods=6, freq="h"))
    check_native_step("f.csv", hourly, TRAINED, ["when"])
    half_hourly = hourly.set_axis(pd.date_range("2020", periods=6, freq="30min"))
    with pytest.raises(InputMismatchError, match=r"'f\.csv' has rows every '30min'.*'when'"):
        check_native_step("f.csv", half_hourly, TRAINED, ["when"])
