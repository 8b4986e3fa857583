"""Side inputs in the shards: columns known over the horizon and the series code, cut for
every window beside its inputs and targets, in every format, shuffled or not."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import WindowingError
from lstm_pipeline.scaling.calendar import add_calendar
from lstm_pipeline.windows.cutting import SegmentWindows
from lstm_pipeline.windows.reader import ShardSet, make_dataset, past_inputs
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H = 24, 6
CALENDAR = ["hour_of_day_sin", "hour_of_day_cos", "day_of_week_sin", "day_of_week_cos"]


@pytest.fixture(scope="module")
def calendar_split(tmp_path_factory):
    """1,500 hourly rows: ``row`` (its own row number), ``y``, and the calendar pairs."""
    index = pd.date_range("2021-03-01 05:00", periods=1500, freq="h", name="timestamp")
    frame = pd.DataFrame(
        {"row": np.arange(1500, dtype=np.float32), "y": np.sin(np.arange(1500) / 7)},
        index=index,
    ).astype(np.float32)
    frame = add_calendar(frame, ["hour_of_day", "day_of_week"])
    path = tmp_path_factory.mktemp("calendar") / "train_series.parquet"
    frame.to_parquet(path)
    return path, index


def write(path, folder, fmt="hdf5", layout="segments", stride=1):
    job = WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(L, H, 0, stride),
        features=["row", "y"],
        targets=["y"],
        fmt=fmt,
        layout=layout,
        segment_rows=200,
        shard_mb=0.01,
        future=CALENDAR,
    )
    job.write(folder)
    return ShardSet(folder)


def oracle_calendar(stamps: pd.DatetimeIndex) -> np.ndarray:
    """The calendar pairs of ``stamps``, computed here from the clock, not by the project."""
    hour = 2 * np.pi * stamps.hour / 24
    week = 2 * np.pi * (stamps.day_of_week + stamps.hour / 24) / 7
    return np.stack([np.sin(hour), np.cos(hour), np.sin(week), np.cos(week)], axis=-1)


@pytest.mark.parametrize("fmt", ["hdf5", "tfrecord"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_future_columns_are_the_calendar_of_each_windows_target_steps(
    calendar_split, tmp_path, fmt, shuffle
):
    path, index = calendar_split
    shards = write(path, tmp_path / "shards", fmt)
    assert shards.manifest.side_inputs == {"future": 4, "series": 0}
    seen = 0
    for inputs, targets in make_dataset(shards, 64, shuffle=shuffle, seed=3):
        assert set(inputs) == {"inputs", "future"}
        past, future = inputs["inputs"].numpy(), inputs["future"].numpy()
        assert future.shape == (len(past), H, 4)
        last_rows = past[:, -1, 0].astype(int)  # the ``row`` column of the last input step
        target_rows = last_rows[:, None] + 1 + np.arange(H)
        expected = oracle_calendar(index[target_rows.ravel()]).reshape(len(past), H, 4)
        np.testing.assert_allclose(future, expected, atol=2e-6)
        np.testing.assert_allclose(targets.numpy()[..., 0], np.sin(target_rows / 7), atol=1e-6)
        seen += len(past)
    assert seen == shards.windows_total == 1500 - L - H + 1


def test_past_inputs_are_the_same_with_or_without_side_inputs(calendar_split, tmp_path):
    path, _ = calendar_split
    with_side = write(path, tmp_path / "side")
    plain = WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(L, H),
        features=["row", "y"],
        targets=["y"],
        segment_rows=200,
    )
    plain.write(tmp_path / "plain")
    for (a, ya), (b, yb) in zip(
        make_dataset(with_side, 100, shuffle=False),
        make_dataset(ShardSet(tmp_path / "plain"), 100, shuffle=False),
        strict=True,
    ):
        np.testing.assert_array_equal(past_inputs(a).numpy(), past_inputs(b).numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())


def test_the_windows_layout_refuses_side_inputs(calendar_split, tmp_path):
    path, _ = calendar_split
    with pytest.raises(WindowingError, match="need layout 'segments'"):
        write(path, tmp_path / "windows", layout="windows", stride=L + H)


def test_each_window_carries_the_code_of_its_series():
    """A segment's code column gives each window the code at its last input step."""
    rows = 40
    values = np.zeros((rows, 3), np.float32)
    values[:, 0] = np.arange(rows)
    values[:, 2] = 5  # the series code column
    windows = SegmentWindows(values, 10, WindowSpec(8, 2, 0, 3), [0], [1], [], 2)
    inputs, targets = windows.take(np.array([0, 4, 9]))
    assert inputs["series"].dtype == np.int32
    assert inputs["series"].tolist() == [5, 5, 5]
    assert inputs["inputs"][:, -1, 0].tolist() == [7, 19, 34]  # start = number * stride
    assert "future" not in inputs
