"""plan_windows and WindowingParams: every bad setting is a clear error before any write."""

import pytest
from pydantic import ValidationError

from lstm_pipeline.errors import ColumnNotFoundError, WindowingError
from lstm_pipeline.pipelines.windowing.nodes import check_windows_fit, plan_windows
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.windows.series import ParquetSeries


@pytest.fixture
def series(split):
    return ParquetSeries(split[0])


def test_plan_describes_the_job(series):
    settings = check_windows_fit(
        series, series, series, WindowingParams(input_length=48, horizon=12, targets=["y"])
    )
    job = plan_windows(series, settings)
    assert job.layout == "segments" and job.columns == ["a", "b", "y"]
    assert job.metadata["parameters"]["input_length"] == 48


def test_layout_auto_stores_windows_once_they_no_longer_overlap():
    params = WindowingParams(input_length=10, horizon=2, stride=12, targets=["y"])
    assert params.resolved_layout() == "windows"
    assert WindowingParams(input_length=10, horizon=2, targets=["y"]).resolved_layout() == (
        "segments"
    )


def test_window_longer_than_the_split_is_refused(series):
    params = WindowingParams(input_length=1990, horizon=24, targets=["y"])
    with pytest.raises(WindowingError, match=r"2014 rows, more than the 2000 rows.*input_length"):
        check_windows_fit(series, series, series, params)


def test_unknown_target_is_named_with_the_columns_there_are(series):
    with pytest.raises(ColumnNotFoundError, match=r"'windowing.targets' names \['power'\]"):
        plan_windows(series, WindowingParams(targets=["power"]).model_dump())


@pytest.mark.parametrize(
    "bad",
    [
        {"input_length": 0},
        {"horizon": 0},
        {"stride": -1},
        {"shard_mb": 0},
        {"targets": []},
        {"format": "csv"},
        {"format": "tfrecord", "compression": "lzf"},
        {"window": 3},
    ],
)
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ValidationError):
        WindowingParams(**{"targets": ["y"], **bad})
