"""Ordering, duplicates, grid, missing-value policies and resampling."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import (
    DuplicateTimestampError,
    IrregularSpacingError,
    MissingDataError,
    SettingsError,
    TimestampGapError,
)
from lstm_pipeline.ingest.cleaning import (
    MissingSpec,
    check_not_all_missing,
    fill_missing,
    fill_short_gaps,
    infer_frequency,
    missing_runs,
    order_and_deduplicate,
    regularise,
    resample,
    short_gap_mask,
    time_order,
    trim_target_edges,
)
from lstm_pipeline.ingest.reading import RawTable
from lstm_pipeline.timegrid import TimeGrid

MINUTE = pd.Timedelta("1min")


def table(minutes, values, column="x"):
    stamps = (pd.Timestamp("2020-01-01") + pd.to_timedelta(minutes, unit="min")).as_unit("ns").asi8
    n = len(minutes)
    return RawTable(
        timestamps=np.asarray(stamps, dtype=np.int64),
        values={column: np.asarray(values, dtype=np.float32)},
        file_index=np.zeros(n, dtype=np.int32),
        row_number=np.arange(2, n + 2),
        files=[{"path": "in.csv", "format": "csv", "rows": n}],
    )


def frame(values, start="2020-01-01", freq="1min"):
    index = pd.date_range(start, periods=len(values), freq=freq, name="timestamp")
    return pd.DataFrame({"x": np.asarray(values, dtype=np.float32)}, index=index)


def test_unsorted_rows_are_sorted_and_counted():
    result, report = order_and_deduplicate(table([2, 0, 1], [20, 0, 10]), "error")
    assert result["x"].tolist() == [0, 10, 20]
    assert report["rows_out_of_order"] == 1


@pytest.mark.parametrize(
    ("policy", "expected"), [("first", [1, 5]), ("last", [3, 5]), ("mean", [2, 5])]
)
def test_duplicate_policies(policy, expected):
    result, report = order_and_deduplicate(table([0, 0, 1], [1, 3, 5]), policy)
    assert result["x"].tolist() == expected
    assert report["duplicate_rows"] == 1


def test_duplicate_error_names_timestamp_and_lines():
    with pytest.raises(
        DuplicateTimestampError, match=r"2020-01-01 00:01:00.*in.csv line 3 and in.csv line 4"
    ):
        order_and_deduplicate(table([0, 1, 1], [1, 2, 3]), "error")


def test_regularise_inserts_absent_timestamps_as_missing():
    result, _ = order_and_deduplicate(table([0, 1, 4], [1, 2, 5]), "error")
    gridded, report = regularise(result, infer_frequency(result.index))
    assert report["missing_timestamps_inserted"] == 2
    assert np.isnan(gridded["x"].to_numpy()[2:4]).all()
    assert len(gridded) == 5


def test_irregular_spacing_is_an_error_that_suggests_resampling():
    result, _ = order_and_deduplicate(table([0, 1, 2, 3.5], [1, 2, 3, 4]), "error")
    with pytest.raises(IrregularSpacingError, match=r"ingestion.resample.frequency"):
        regularise(result, TimeGrid(MINUTE))


def test_missing_runs():
    starts, lengths = missing_runs(np.array([1, np.nan, np.nan, 4, np.nan], dtype=np.float32))
    assert starts.tolist() == [1, 4]
    assert lengths.tolist() == [2, 1]


def test_interpolate_fills_short_gaps_and_reports_long_ones_without_bridging():
    values = [0, np.nan, 2, 3, np.nan, np.nan, np.nan, np.nan, 8, 9]
    filled, report = fill_missing(frame(values), policy="interpolate", max_gap_steps=3)
    out = filled["x"].to_numpy()
    assert out[1] == pytest.approx(1.0)
    assert np.isnan(out[4:8]).all()  # 4-step gap > 3: not bridged, not even partly
    assert report["columns"]["x"] == {"missing": 5, "filled": 1, "remaining": 4}
    assert report["long_gaps"] == [
        {"start": "2020-01-01 00:04:00", "end": "2020-01-01 00:07:00", "steps": 4, "columns": ["x"]}
    ]


def test_ffill_carries_the_last_value():
    filled, _ = fill_missing(frame([5, np.nan, np.nan, 7]), policy="ffill", max_gap_steps=2)
    assert filled["x"].tolist() == [5, 5, 5, 7]


def test_seasonal_takes_the_value_one_period_earlier_even_across_periods():
    values = [1, 2, 3, np.nan, np.nan, np.nan, np.nan, 8]
    filled, _ = fill_missing(frame(values), policy="seasonal", max_gap_steps=4, period_steps=3)
    assert filled["x"].tolist() == [1, 2, 3, 1, 2, 3, 1, 8]


def test_constant_fills_short_gaps_with_the_value_and_leaves_long_ones():
    values = [1, np.nan, 3, np.nan, np.nan, np.nan, 7]
    filled, report = fill_missing(frame(values), policy="constant", max_gap_steps=2, fill_value=0.0)
    out = filled["x"].to_numpy()
    assert out[:3].tolist() == [1, 0, 3] and np.isnan(out[3:6]).all() and out[6] == 7
    assert report["columns"]["x"] == {"missing": 4, "filled": 1, "remaining": 3}


def test_trimming_cuts_the_rows_before_and_after_every_target_has_a_value():
    index = pd.date_range("2020-01-01", periods=7, freq="1h", name="timestamp")
    data = pd.DataFrame(
        {
            "y": [np.nan, np.nan, 1, np.nan, 2, 3, np.nan],
            "z": [5, 5, 5, 5, 5, np.nan, 5],
            "feature": [np.nan] * 7,  # features never decide the edges
        },
        index=index,
    )
    trimmed, report = trim_target_edges(data, ["y", "z"])
    # oracle: pandas' first and last valid index of the rows complete in both targets
    complete = data[["y", "z"]].dropna()
    assert trimmed.index[0] == complete.index[0] and trimmed.index[-1] == complete.index[-1]
    assert len(trimmed) == 3 and np.isnan(trimmed["y"].iloc[1])  # inside gaps stay
    assert report == {"leading_rows": 2, "trailing_rows": 2}
    with pytest.raises(MissingDataError, match=r"No row has a value in every target.*'y', 'z'"):
        trim_target_edges(data.assign(z=[5, 5, np.nan, 5, np.nan, np.nan, 5]), ["y", "z"])


def test_drop_removes_rows_with_missing_values():
    filled, report = fill_missing(frame([1, np.nan, 3]), policy="drop", max_gap_steps=1)
    assert filled["x"].tolist() == [1, 3]
    assert report["rows_dropped"] == 1


def test_error_policy_names_column_and_first_missing_timestamp():
    with pytest.raises(
        MissingDataError,
        match=r"Column 'x' has 1 missing value\(s\), the first at 2020-01-01 00:01:00",
    ):
        fill_missing(frame([1, np.nan, 3]), policy="error", max_gap_steps=1)


def test_long_gaps_error_and_drop():
    values = [1, np.nan, np.nan, np.nan, 5]
    with pytest.raises(MissingDataError, match="longer than 'ingestion.missing.max_gap'"):
        fill_missing(frame(values), policy="interpolate", max_gap_steps=2, long_gaps="error")
    dropped, report = fill_missing(
        frame(values), policy="interpolate", max_gap_steps=2, long_gaps="drop"
    )
    assert dropped["x"].tolist() == [1, 5]
    assert report["rows_dropped"] == 3


def test_resample_uses_the_aggregation_of_each_column():
    index = pd.date_range("2020-01-01", periods=120, freq="1min", name="timestamp")
    data = pd.DataFrame({"power": np.arange(120.0), "energy": np.ones(120)}, index=index)
    result, report = resample(data, "1h", "mean", {"energy": "sum"}, strict=True)
    assert result["power"].tolist() == [29.5, 89.5]
    assert result["energy"].tolist() == [60, 60]
    assert report["aggregation"] == {"power": "mean", "energy": "sum"}


def test_strict_resample_never_reports_a_partly_missing_bucket():
    index = pd.date_range("2020-01-01", periods=120, freq="1min", name="timestamp")
    energy = np.ones(120)
    energy[70] = np.nan
    data = pd.DataFrame({"energy": energy}, index=index)
    result, _ = resample(data, "1h", "sum", {}, strict=True)
    assert result["energy"].iloc[0] == 60
    assert np.isnan(result["energy"].iloc[1])
    # an incomplete first hour (series starting at :30) is dropped, not summed short
    partial, _ = resample(data.iloc[30:], "1h", "sum", {}, strict=True)
    assert partial.index[0] == pd.Timestamp("2020-01-01 01:00")


def test_all_missing_column_is_named():
    with pytest.raises(MissingDataError, match=r"Column 'x' is missing in every row of in.csv"):
        check_not_all_missing(table([0, 1], [np.nan, np.nan]))


MINUTES_TO_2099 = int((pd.Timestamp("2099-01-01") - pd.Timestamp("2020-01-01")) / MINUTE)


def test_a_mistyped_year_is_a_gap_error_naming_both_rows_and_timestamps():
    raw = table([0, 1, MINUTES_TO_2099, 2, 3], [1, 2, 3, 4, 5])
    with pytest.raises(TimestampGapError) as error:
        order_and_deduplicate(raw, "error", max_gap=pd.Timedelta("30D"))
    message = str(error.value)
    # sorted, the 2099 row (line 4) follows the last 2020 row (line 6)
    assert "from 2020-01-01 00:03:00 (in.csv line 6) to 2099-01-01 00:00:00 (in.csv line 4)" in (
        message
    )
    assert "'ingestion.missing.max_timestamp_gap'" in message
    assert "set it to null" in message


def test_a_mistyped_early_year_is_caught_too():
    raw = table([-MINUTES_TO_2099, 0, 1], [1, 2, 3])
    with pytest.raises(TimestampGapError, match=r"from 1940-12-31 .*in.csv line 2\) to 2020"):
        order_and_deduplicate(raw, "error", max_gap=pd.Timedelta("30D"))


def test_a_gap_up_to_the_maximum_passes_and_none_turns_the_check_off():
    raw = table([0, 60, 61], [1, 2, 3])
    frame, _ = order_and_deduplicate(raw, "error", max_gap=pd.Timedelta("60min"))
    assert len(frame) == 3
    with pytest.raises(TimestampGapError, match="a gap of 0 days 01:00:00"):
        order_and_deduplicate(raw, "error", max_gap=pd.Timedelta("59min"))
    frame, _ = order_and_deduplicate(table([0, MINUTES_TO_2099], [1, 2]), "error", max_gap=None)
    assert len(frame) == 2


def test_a_gap_wider_than_int64_nanoseconds_is_still_caught():
    stamps = np.array(
        [pd.Timestamp("1700-01-01").value, pd.Timestamp("2200-01-01").value], dtype=np.int64
    )
    raw = table([0, 1], [1, 2])
    raw.timestamps = stamps
    with pytest.raises(TimestampGapError, match="182,621 days"):
        order_and_deduplicate(raw, "error", max_gap=pd.Timedelta("30D"))


def test_time_order_is_stable_and_counts_rows_out_of_order():
    order, out_of_order = time_order(np.array([5, 1, 5, 0]))
    assert order.tolist() == [3, 1, 0, 2]
    assert out_of_order == 2


def test_short_gap_mask_marks_short_runs_and_lists_long_ones():
    values = np.array([1, np.nan, 3, np.nan, np.nan, np.nan, 7], dtype=np.float32)
    mask, long_runs = short_gap_mask(values, max_gap_steps=2)
    assert mask.tolist() == [False, True, False, False, False, False, False]
    assert long_runs == [(3, 3)]


def test_fill_short_gaps_fills_each_column_alone():
    index = pd.date_range("2020-01-01", periods=4, freq="1min", name="timestamp")
    data = pd.DataFrame({"a": [1, np.nan, 3, 4], "b": [1, np.nan, np.nan, 4]}, index=index)
    filled, long_runs = fill_short_gaps(data, "ffill", max_gap_steps=1, period_steps=None)
    assert filled["a"].tolist() == [1, 1, 3, 4]
    assert np.isnan(filled["b"].to_numpy()[1:3]).all()
    assert long_runs == [(1, 2, "b")]


@pytest.mark.parametrize(
    ("call", "allowed"),
    [
        (lambda: order_and_deduplicate(table([0], [1]), "newest"), "'first', 'last'"),
        (lambda: fill_missing(frame([1]), policy="guess", max_gap_steps=1), "'interpolate'"),
        (lambda: resample(frame([1, 2]), "2min", "mode", {}, strict=True), "'median'"),
    ],
)
def test_an_unknown_choice_lists_the_allowed_values(call, allowed):
    with pytest.raises(ValueError, match=allowed):
        call()


def test_missing_spec_checks_durations_and_the_seasonal_period():
    assert MissingSpec().max_timestamp_gap == "30D"
    assert MissingSpec.model_validate({"max_timestamp_gap": None}).max_timestamp_gap is None
    with pytest.raises(SettingsError, match="max_timestamp_gap = '-1D': must be a positive"):
        MissingSpec.model_validate({"max_timestamp_gap": "-1D"})
    with pytest.raises(SettingsError, match="policy 'seasonal' needs 'period'"):
        MissingSpec.model_validate({"policy": "seasonal"})
    with pytest.raises(SettingsError, match="'fill_value' goes with policy 'constant'"):
        MissingSpec.model_validate({"policy": "constant"})
    with pytest.raises(SettingsError, match="'fill_value' goes with policy 'constant'"):
        MissingSpec.model_validate({"fill_value": 0})
    assert MissingSpec.model_validate({"policy": "constant", "fill_value": 0}).fill_value == 0
