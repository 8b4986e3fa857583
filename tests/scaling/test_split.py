"""Chronological splits."""

import pandas as pd
import pytest

from lstm_pipeline.errors import SplitError
from lstm_pipeline.scaling.split import split_by_fractions, split_by_timestamps

INDEX = pd.date_range("2020-01-01", periods=1000, freq="1h")


def test_fractions_are_consecutive_and_cover_every_row():
    plan = split_by_fractions(INDEX, {"train": 0.7, "val": 0.2, "test": 0.1}, 10)
    assert [plan[s]["rows"] for s in ("train", "val", "test")] == [700, 200, 100]
    assert plan["train"]["stop_row"] == plan["val"]["start_row"]
    assert plan["val"]["stop_row"] == plan["test"]["start_row"]
    assert plan["test"]["stop_row"] == 1000
    assert plan["train"]["end"] < plan["val"]["start"] <= plan["val"]["end"] < plan["test"]["start"]


def test_timestamps_cut_at_the_given_times():
    plan = split_by_timestamps(INDEX, "2020-01-20", "2020-02-01", 10)
    assert plan["val"]["start"] == "2020-01-20 00:00:00"
    assert plan["test"]["start"] == "2020-02-01 00:00:00"
    assert plan["train"]["rows"] == 19 * 24


def test_timestamps_outside_the_series_are_refused():
    with pytest.raises(SplitError, match="val_start"):
        split_by_timestamps(INDEX, "2019-01-01", "2020-02-01", 10)


def test_a_train_split_too_short_names_the_parameter():
    with pytest.raises(SplitError, match="fewer than 'normalisation.split.min_train_rows' = 800"):
        split_by_fractions(INDEX, {"train": 0.7, "val": 0.2, "test": 0.1}, 800)


def test_an_empty_split_is_refused():
    with pytest.raises(SplitError, match="test split of 5 rows is empty"):
        split_by_fractions(INDEX[:5], {"train": 0.8, "val": 0.15, "test": 0.05}, 1)


def test_validation_turned_off_gives_an_empty_val_split_and_train_runs_to_test():
    plan = split_by_fractions(INDEX, {"train": 0.85, "val": 0.0, "test": 0.15}, 10)
    assert [plan[s]["rows"] for s in ("train", "val", "test")] == [850, 0, 150]
    assert plan["val"]["start"] is None and plan["val"]["start_row"] == 850
    by_time = split_by_timestamps(INDEX, None, "2020-02-01", 10)
    assert by_time["val"]["rows"] == 0
    assert by_time["train"]["rows"] == 31 * 24 and by_time["test"]["start"] == "2020-02-01 00:00:00"


def test_a_validation_split_empty_by_accident_is_still_refused():
    # 0.004 of 100 rows rounds to none: validation was asked for and came out empty
    with pytest.raises(SplitError, match="val split of 100 rows is empty"):
        split_by_fractions(INDEX[:100], {"train": 0.8, "val": 0.004, "test": 0.196}, 1)
    with pytest.raises(SplitError, match="val_start"):
        split_by_timestamps(INDEX, "2020-02-01", "2020-02-01", 10)


def test_split_parameters_turn_validation_off_with_zero_or_null():
    from lstm_pipeline.errors import SettingsError
    from lstm_pipeline.pipelines.normalisation.params import SplitParams

    assert not SplitParams(train=0.85, val=0, test=0.15).has_validation
    assert SplitParams().has_validation
    by_time = SplitParams(method="timestamps", val_start=None, test_start="2020-02-01")
    assert not by_time.has_validation
    with pytest.raises(SettingsError, match="needs 'test_start'"):
        SplitParams.model_validate({"method": "timestamps", "val_start": "2020-01-01"})
    with pytest.raises(SettingsError, match="val = -0.1: Input should be greater than or equal"):
        SplitParams.model_validate({"train": 0.85, "val": -0.1, "test": 0.25})
