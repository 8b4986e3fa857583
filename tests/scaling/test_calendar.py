"""Calendar features: sine/cosine pairs against hand-computed angles."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.pipelines.normalisation.nodes import (
    find_split_ranges,
    fit_train_scaler,
    transform_splits,
)
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.scaling.calendar import add_calendar


def test_angles_match_the_clock_and_the_calendar():
    index = pd.DatetimeIndex(["2021-01-04 06:00", "2021-01-10 18:00", "2021-12-16 00:00"])
    frame = add_calendar(pd.DataFrame(index=index), ["hour_of_day", "day_of_week", "month"])
    np.testing.assert_allclose(frame["hour_of_day_sin"], [1, -1, 0], atol=1e-6)  # 6h, 18h, 0h
    np.testing.assert_allclose(frame["hour_of_day_cos"], [0, 0, 1], atol=1e-6)
    monday_6am, sunday_6pm = 0.25 / 7, 6.75 / 7  # Monday is day 0
    expected = np.sin(2 * np.pi * np.array([monday_6am, sunday_6pm]))
    np.testing.assert_allclose(frame["day_of_week_sin"][:2], expected, atol=1e-6)
    # mid-December sits next to January: the month angle wraps round
    december, january = frame["month_cos"].iloc[2], frame["month_cos"].iloc[0]
    assert december > 0.95 and january > 0.95


def test_every_split_gets_the_columns_and_a_constant_feature_is_refused():
    index = pd.date_range("2020-01-01", periods=500, freq="h", name="timestamp")
    frame = pd.DataFrame({"y": np.arange(500, dtype="float32")}, index=index)
    frame.attrs = {"frequency": "h"}
    params = NormalisationParams(calendar_features=["hour_of_day"])
    ranges = find_split_ranges(frame, params, "forecast", 0)
    fitted = fit_train_scaler(frame, ranges, params, "forecast")
    for part in transform_splits(frame, ranges, fitted, "forecast")[:3]:
        assert list(part.columns) == ["y", "hour_of_day_sin", "hour_of_day_cos"]
        hours = part.index.hour.to_numpy()
        np.testing.assert_allclose(
            part["hour_of_day_sin"], np.sin(2 * np.pi * hours / 24), atol=1e-6
        )
    daily = frame.resample("D").mean()
    with pytest.raises(SettingsError, match="'hour_of_day', which is constant"):
        fit_train_scaler(
            daily,
            find_split_ranges(
                daily, NormalisationParams(split={"min_train_rows": 5}), "forecast", 0
            ),
            params,
            "forecast",
        )
