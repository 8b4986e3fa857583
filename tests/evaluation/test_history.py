"""Seasonal naive read from the whole series: against pandas' own time shift, and never past
the forecast origin."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.evaluation.history import TargetHistory
from lstm_pipeline.windows.series import ParquetSeries


def written_splits(folder, frame: pd.DataFrame, bounds) -> list[ParquetSeries]:
    splits = []
    for number, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        path = folder / f"split{number}.parquet"
        frame.iloc[start:end].to_parquet(path)
        splits.append(ParquetSeries(path))
    return splits


def hourly(rows=9000, missing=()):
    rng = np.random.default_rng(1)
    index = pd.date_range("2020-01-01", periods=rows, freq="h", name="timestamp")
    frame = pd.DataFrame({"y": rng.normal(size=rows).astype("float32")}, index=index)
    frame.iloc[list(missing), 0] = np.nan
    return frame


@pytest.mark.parametrize("lag", [24, 168, 8760])
def test_year_ago_and_daily_seasonal_naive_equal_a_pandas_time_shift(tmp_path, lag):
    frame = hourly(missing=[100, 101, 8000])
    history = TargetHistory(written_splits(tmp_path, frame, [0, 6000, 7500, 9000]), ["y"])
    ends = frame.index[[8770, 8800, 8950]].as_unit("ns").asi8
    steps = np.arange(1, 49)
    forecast = history.seasonal_naive(ends, steps, lag)[:, :, 0]
    for row, end in enumerate(pd.DatetimeIndex(ends)):
        for column, d in enumerate(steps):
            seasons = int(np.ceil(d / lag))  # the last observed season repeats past the lag
            shifted = frame["y"].shift(seasons * lag, freq="h")
            expected = shifted.get(end + pd.Timedelta(hours=int(d)), np.nan)
            np.testing.assert_equal(forecast[row, column], expected)


def test_monthly_seasonal_naive_counts_months_and_repeats_the_last_year(tmp_path):
    index = pd.date_range("1949-01-01", periods=144, freq="MS", name="timestamp")
    frame = pd.DataFrame({"y": np.arange(144, dtype="float32")}, index=index)
    history = TargetHistory(written_splits(tmp_path, frame, [0, 108, 144]), ["y"])
    origin = pd.DatetimeIndex(["1957-12-01"]).as_unit("ns").asi8
    forecast = history.seasonal_naive(origin, np.arange(1, 37), 12)[0, :, 0]
    assert forecast.tolist() == list(range(96, 108)) * 3


def test_nothing_after_the_origin_is_read(tmp_path):
    frame = hourly(rows=2000)
    ends = frame.index[[1500, 1600]].as_unit("ns").asi8
    (tmp_path / "a").mkdir()
    before = TargetHistory(written_splits(tmp_path / "a", frame, [0, 1000, 2000]), ["y"])
    changed = frame.copy()
    changed.iloc[1501:, 0] = 1e6  # everything after the first origin
    (tmp_path / "b").mkdir()
    after = TargetHistory(written_splits(tmp_path / "b", changed, [0, 1000, 2000]), ["y"])
    for lag in (1, 24, 100):
        first = before.seasonal_naive(ends[:1], np.arange(1, 200), lag)
        assert np.array_equal(first, after.seasonal_naive(ends[:1], np.arange(1, 200), lag))


def test_a_lag_reaching_before_the_series_is_refused(tmp_path):
    frame = hourly(rows=500)
    history = TargetHistory(written_splits(tmp_path, frame, [0, 400, 500]), ["y"])
    ends = frame.index[[420]].as_unit("ns").asi8
    with pytest.raises(ModelSpecError, match="seasonal_period 8760 reaches before the series"):
        history.seasonal_naive(ends, np.arange(1, 5), 8760)
