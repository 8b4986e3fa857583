"""TimeGrid: fixed and calendar steps, each checked against pandas' own date_range."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.timegrid import TimeGrid, infer_grid, pandas_frequency

CALENDAR = ["MS", "ME", "W-SUN", "QS", "B"]


def ns(stamps) -> np.ndarray:
    return pd.DatetimeIndex(stamps).as_unit("ns").asi8


@pytest.mark.parametrize("frequency", ["h", "15min", "D", *CALENDAR])
def test_advance_follows_and_positions_agree_with_date_range(frequency):
    truth = ns(pd.date_range("2001-01-01", periods=40, freq=frequency))
    grid = TimeGrid(frequency)
    assert grid.is_calendar == (frequency in CALENDAR)
    assert np.array_equal(grid.advance(int(truth[0]), [0, 1, 7, 39]), truth[[0, 1, 7, 39]])
    assert np.array_equal(grid.next_stamps(truth[:-1]), truth[1:])
    assert grid.follows(truth).all()
    assert np.array_equal(grid.positions(truth[[3, 9]], int(truth[0])), [3, 9])
    assert grid.steps_between(int(truth[2]), int(truth[30])) == 28
    assert grid.steps_between(int(truth[30]), int(truth[2])) == -28


def test_a_missing_month_is_a_jump_and_is_counted_in_whole_months():
    months = ns(pd.date_range("1949-01-01", periods=6, freq="MS").delete(3))
    grid = TimeGrid("MS")
    assert grid.follows(months).tolist() == [True, True, True, False, True]
    assert grid.follows(months[:1], previous_ns=int(ns(["1948-12-01"])[0])).tolist() == [True]
    assert grid.steps_between(int(months[0]), int(months[-1])) == 5


def test_steps_in_a_duration():
    assert TimeGrid("h").steps_in("60min") == 1
    assert TimeGrid("15min").steps_in("1D") == 96
    assert TimeGrid("MS").steps_in("62D") == 2  # two month starts within 62 days
    assert TimeGrid("W-SUN").steps_in("21D") == 3


def test_inference_finds_fixed_steps_despite_gaps_and_calendar_steps():
    hours = pd.date_range("2020-01-01", periods=50, freq="h").delete([5, 6, 20])
    assert infer_grid(hours) == TimeGrid("h")
    assert infer_grid(pd.date_range("1949-01-01", periods=30, freq="MS")) == TimeGrid("MS")
    assert infer_grid(pd.date_range("2020-01-05", periods=30, freq="W-SUN")) == TimeGrid("W-SUN")
    with pytest.raises(ValueError, match="irregular"):
        infer_grid(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-04 05:00"]))


def test_a_frequency_setting_must_be_one_pandas_reads():
    assert pandas_frequency("W-SUN") == "W-SUN"
    with pytest.raises(ValueError, match="pandas frequency such as"):
        pandas_frequency("monthly")
    with pytest.raises(ValueError, match="is not on the .MS. grid"):
        TimeGrid("MS").range(int(ns(["1949-01-15"])[0]), periods=3)


@pytest.mark.parametrize(
    ("frequency", "name", "stamp"),
    [
        ("h", "hours", "1957-12-01 00:00"),
        ("15min", "15-minute steps", "1957-12-01 00:00"),
        ("D", "days", "1957-12-01"),
        ("W-SUN", "weeks", "1957-12-01"),
        ("MS", "months", "1957-12"),
        ("QS", "quarters", "1957-12"),
        ("B", "business days", "1957-12-01"),
    ],
)
def test_steps_and_stamps_are_named_as_people_say_them(frequency, name, stamp):
    grid = TimeGrid(frequency)
    assert grid.step_name() == name
    assert grid.stamp_text(pd.Timestamp("1957-12-01").value) == stamp
