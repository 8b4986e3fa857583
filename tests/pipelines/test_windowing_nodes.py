"""windowing_job and WindowingParams: every bad setting is a clear error before any write."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import ColumnNotFoundError, SettingsError, WindowingError
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.pipelines.windowing.nodes import check_windows_fit, windowing_job
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.windows.series import ParquetSeries

ANY_SEASON = EvaluationParams(seasonal_period=1)  # these splits are not a protocol


@pytest.fixture
def series(split):
    return ParquetSeries(split[0])


def test_plan_describes_the_job(series):
    settings = check_windows_fit(
        series,
        series,
        series,
        WindowingParams(input_length=48, horizon=12, targets=["y"]),
        "forecast",
        ANY_SEASON,
    )
    job = windowing_job(series, settings)
    assert job.layout == "segments" and job.columns == ["a", "b", "y"]
    assert job.metadata["parameters"]["input_length"] == 48
    assert settings["task"] == "forecast"


def test_layout_auto_stores_windows_once_they_no_longer_overlap():
    params = WindowingParams(input_length=10, horizon=2, stride=12, targets=["y"])
    assert params.resolved_layout() == "windows"
    assert WindowingParams(input_length=10, horizon=2, targets=["y"]).resolved_layout() == (
        "segments"
    )


def test_window_longer_than_the_split_is_refused(series):
    params = WindowingParams(input_length=1990, horizon=24, targets=["y"])
    with pytest.raises(WindowingError, match=r"2014 rows, more than the 2000 rows.*input_length"):
        check_windows_fit(series, series, series, params, "forecast", ANY_SEASON)


def test_unknown_target_is_named_with_the_columns_there_are(series):
    with pytest.raises(ColumnNotFoundError, match=r"'windowing.targets' names \['power'\]"):
        windowing_job(series, WindowingParams(targets=["power"]).model_dump())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"input_length": 0},
            r"windowing.input_length = 0: Input should be greater than or equal to 1",
        ),
        ({"horizon": 0}, r"windowing.horizon = 0: Input should be greater than or equal to 1"),
        ({"stride": -1}, r"windowing.stride = -1: must be at least 1 \(or {train"),
        ({"shard_mb": 0}, r"windowing.shard_mb = 0: Input should be greater than 0"),
        ({"targets": []}, r"windowing.targets = \[\]: List should have at least 1 item"),
        ({"format": "csv"}, r"windowing.format = 'csv': Input should be 'hdf5' or 'tfrecord'"),
        ({"format": "tfrecord", "compression": "lzf"}, r"windowing: .*TFRecord .*'lzf'"),
        ({"window": 3}, r"windowing.window = 3: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_are_refused(bad, message):
    with pytest.raises(SettingsError, match=message):
        WindowingParams.model_validate({"targets": ["y"], **bad})


def gappy_split(tmp_path, name="val_series", column="b"):
    """400 hourly rows; ``column`` misses every 10th value (runs of 9 complete rows), but
    rows 101-125 (25 rows) and 201-219 (19 rows) are complete: no window of 30 rows fits."""
    index = pd.date_range("2020-01-01", periods=400, freq="1h", name="timestamp")
    frame = pd.DataFrame(np.ones((400, 3), np.float32), index=index, columns=["a", "b", "y"])
    missing = sorted({*range(0, 400, 10)} - {110, 120, 210} | {126})
    frame.iloc[missing, frame.columns.get_loc(column)] = np.nan
    path = tmp_path / f"{name}.parquet"
    frame.to_parquet(path)
    return ParquetSeries(path)


SMALL = {"input_length": 24, "horizon": 6, "targets": ["y"]}


def test_a_split_with_rows_enough_but_no_complete_window_is_refused_naming_its_stretches(
    series, tmp_path, monkeypatch
):
    val = gappy_split(tmp_path)
    # streamed in batches of 100 rows: the stretches cross batch boundaries
    batches = ParquetSeries.batches
    monkeypatch.setattr(ParquetSeries, "batches", lambda self, c: batches(self, c, 100))
    monkeypatch.setattr(ParquetSeries, "to_pandas", None)  # never the whole split
    with pytest.raises(WindowingError) as caught:
        check_windows_fit(series, val, series, WindowingParams(**SMALL), "forecast", ANY_SEASON)
    message = str(caught.value)
    assert f"'{val.path}' (val_series) has 400 rows but not one complete window" in message
    assert "needs 30 consecutive rows with no missing value in ['a', 'b', 'y']" in message
    assert (
        "2020-01-05 05:00:00 .. 2020-01-06 05:00:00 (25 rows); "
        "2020-01-09 09:00:00 .. 2020-01-10 03:00:00 (19 rows); "
        "2020-01-01 01:00:00 .. 2020-01-01 09:00:00 (9 rows)."
    ) in message


def test_a_split_with_every_row_missing_a_value_is_refused(series, tmp_path):
    frame = pd.read_parquet(series.path)
    frame["b"] = np.nan
    frame.to_parquet(tmp_path / "test_series.parquet")
    test = ParquetSeries(tmp_path / "test_series.parquet")
    with pytest.raises(WindowingError, match=r"\(test_series\).*every one of its rows has a"):
        check_windows_fit(series, series, test, WindowingParams(**SMALL), "forecast", ANY_SEASON)


def test_gaps_in_a_column_that_is_not_windowed_do_not_count(series, tmp_path):
    val = gappy_split(tmp_path, column="b")
    params = WindowingParams(**SMALL, features=["a", "y"])
    settings = check_windows_fit(series, val, series, params, "forecast", ANY_SEASON)
    assert settings["features"] == ["a", "y"]


def test_each_split_can_have_its_own_stride(split, tmp_path):
    import shutil

    from lstm_pipeline.windows.reader import ShardSet, make_dataset

    path, frame = split
    test_path = tmp_path / "test_series.parquet"
    shutil.copy(path, test_path)
    train, test = ParquetSeries(path), ParquetSeries(test_path)
    params = WindowingParams(**SMALL, stride={"train": 1, "test": 7})
    settings = check_windows_fit(train, train, test, params, "forecast", ANY_SEASON)
    jobs = {"train": windowing_job(train, settings), "test": windowing_job(test, settings)}
    assert jobs["train"].spec.stride == 1 and jobs["test"].spec.stride == 7
    span = 24 + 6
    for name, stride in (("train", 1), ("test", 7)):
        jobs[name].write(tmp_path / name)
        shards = ShardSet(tmp_path / name)
        assert shards.windows_total == (len(frame) - span) // stride + 1
    # the test windows start 7 hours apart: their first inputs are every 7th row
    inputs, _ = next(iter(make_dataset(tmp_path / "test", 4, shuffle=False)))
    np.testing.assert_array_equal(
        inputs.numpy()[:, 0, :], frame[["a", "b", "y"]].to_numpy()[[0, 7, 14, 21]]
    )


@pytest.mark.parametrize(
    ("stride", "message"),
    [
        ({"test": 0}, r"windowing.stride.test = 0: Input should be greater than or equal"),
        ({"tset": 7}, r"tset"),
    ],
)
def test_a_bad_stride_per_split_is_named(stride, message):
    with pytest.raises(SettingsError, match=message):
        WindowingParams.model_validate({**SMALL, "stride": stride})


def three_splits(frame: pd.DataFrame, folder, rows=(1400, 300, 300)) -> dict:
    """The frame cut into train/val/test Parquet files named as the catalog names them."""
    bounds = np.cumsum([0, *rows])
    splits = {}
    for i, name in enumerate(("train", "val", "test")):
        path = folder / f"{name}_series.parquet"
        frame.iloc[bounds[i] : bounds[i + 1]].to_parquet(path)
        splits[name] = ParquetSeries(path)
    return splits


def first_windows(job, folder, count=3):
    from lstm_pipeline.windows.reader import make_dataset

    job.write(folder)
    inputs, targets = next(iter(make_dataset(folder, count, shuffle=False)))
    return inputs.numpy(), targets.numpy(), job


@pytest.mark.parametrize("context", [True, False])
def test_test_windows_take_their_inputs_from_before_the_boundary(split, tmp_path, context):
    from lstm_pipeline.windows.reader import ShardSet

    _, frame = split
    splits = three_splits(frame, tmp_path)
    params = WindowingParams(**SMALL, split_context=context)
    settings = check_windows_fit(*splits.values(), params, "forecast", ANY_SEASON)
    job = windowing_job(splits["test"], settings, splits["train"], splits["val"])
    inputs, targets, _ = first_windows(job, tmp_path / "test_shards")
    values = frame[["a", "b", "y"]].to_numpy()
    boundary = 1700  # the test split's first row
    first_target = boundary if context else boundary + 24
    # the first test forecast's target is the first step after the boundary (with context)
    np.testing.assert_array_equal(targets[0, :, 0], values[first_target : first_target + 6, 2])
    np.testing.assert_array_equal(inputs[0], values[first_target - 24 : first_target])
    shards = ShardSet(tmp_path / "test_shards")
    assert shards.windows_total == (300 - 6 + 1 if context else 300 - 30 + 1)
    assert shards.manifest.context_rows == (24 if context else 0)


def test_without_validation_the_test_context_comes_from_train(split, tmp_path):
    _, frame = split
    splits = three_splits(frame, tmp_path, rows=(1700, 0, 300))
    settings = check_windows_fit(*splits.values(), WindowingParams(**SMALL), "forecast", ANY_SEASON)
    job = windowing_job(splits["test"], settings, splits["train"], splits["val"])
    inputs, _, _ = first_windows(job, tmp_path / "test_shards")
    np.testing.assert_array_equal(inputs[0], frame[["a", "b", "y"]].to_numpy()[1676:1700])


def test_an_earlier_split_that_does_not_end_just_before_gives_no_context(split, tmp_path):
    from lstm_pipeline.windows.context import WithContext

    _, frame = split
    splits = three_splits(frame, tmp_path)
    assert WithContext(splits["test"], [splits["train"], splits["val"]], 24).context_rows == 24
    # train ends 300 rows before test begins: its rows are no context for test
    assert WithContext(splits["test"], [splits["train"]], 24).context_rows == 0


def test_a_split_file_named_otherwise_is_refused_naming_the_convention(split, tmp_path):
    import shutil

    renamed = tmp_path / "holdout.parquet"
    shutil.copy(split[0], renamed)
    train = ParquetSeries(split[0])
    settings = check_windows_fit(
        train, train, train, WindowingParams(**SMALL), "forecast", ANY_SEASON
    )
    with pytest.raises(WindowingError, match=r"holdout.parquet'.*train_series, val_series"):
        windowing_job(ParquetSeries(renamed), settings)
    with pytest.raises(WindowingError, match=r"holdout.parquet'.*train_series, val_series"):
        check_windows_fit(
            train, train, ParquetSeries(renamed), WindowingParams(**SMALL), "forecast", ANY_SEASON
        )
