"""The windowing nodes for classification: the same nodes as forecasting, dispatching on
the task carried in the settings; window settings are ignored; train and test must hold
cases, validation may be empty."""

import numpy as np
import pytest

from lstm_pipeline.datasets.shards import WindowShardsDataset
from lstm_pipeline.errors import ColumnNotFoundError, WindowingError
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.pipelines.windowing.nodes import (
    check_windows_fit,
    record_windowing,
    windowing_job,
)
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.windows.case_writing import SequenceJob
from lstm_pipeline.windows.sequences import ParquetSequences
from lstm_pipeline.windows.series import ParquetSeries
from tests.windows.labelled import CLASSES, FEATURES, empty_frame, vowel_like_frame, write_split

# forecasting settings that no split of short cases could hold: ignored for classification
PARAMS = WindowingParams(input_length=5000, horizon=300, targets=["y"], format="tfrecord")

EVALUATION = EvaluationParams()  # the forecast-only seasonal check reads it


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled_splits")
    frames = {"train": vowel_like_frame(60, 1), "test": vowel_like_frame(40, 2)}
    paths = {name: write_split(frame, folder, name) for name, frame in frames.items()}
    paths["val"] = write_split(empty_frame(), folder, "val")
    return {name: ParquetSequences(path) for name, path in paths.items()}, frames


def run_windowing(splits, tmp_path, params=PARAMS) -> dict:
    """The windowing stage as Kedro runs it, node after node, through the catalog dataset."""
    settings = check_windows_fit(
        splits["train"], splits["val"], splits["test"], params, "classification", EVALUATION
    )
    loaded = {}
    for name in ("train", "val", "test"):
        dataset = WindowShardsDataset(str(tmp_path / f"{name}_shards"))
        dataset.save(windowing_job(splits[name], settings))
        loaded[name] = dataset.load()
    return record_windowing(settings, loaded["train"], loaded["val"], loaded["test"])


def test_the_stage_writes_labelled_shards_and_their_record(splits, tmp_path):
    series, frames = splits
    record = run_windowing(series, tmp_path)
    lengths = {name: frame.groupby("case").size() for name, frame in frames.items()}
    every = np.concatenate([v.to_numpy() for v in lengths.values()])
    assert record == {
        "task": "classification",
        "feature_columns": FEATURES,
        "classes": CLASSES,
        "format": "tfrecord",
        "layout": "sequences",
        "shapes": {"inputs": [None, len(FEATURES)]},
        "min_length": int(every.min()),
        "max_length": int(every.max()),
        "splits": {
            "train": {
                "cases": 60,
                "shards": 1,
                "min_length": int(lengths["train"].min()),
                "max_length": int(lengths["train"].max()),
            },
            "val": {"cases": 0, "shards": 0, "min_length": None, "max_length": None},
            "test": {
                "cases": 40,
                "shards": 1,
                "min_length": int(lengths["test"].min()),
                "max_length": int(lengths["test"].max()),
            },
        },
    }


def test_settings_carry_the_task_and_the_job_is_a_sequence_job(splits):
    series, _ = splits
    settings = check_windows_fit(
        series["train"], series["val"], series["test"], PARAMS, "classification", EVALUATION
    )
    assert settings["task"] == "classification"
    job = windowing_job(series["test"], settings)
    assert isinstance(job, SequenceJob)
    assert (job.fmt, job.features, job.metadata["split"]) == ("tfrecord", FEATURES, "test")


def test_features_pick_the_stored_dimensions(splits, tmp_path):
    series, _ = splits
    params = WindowingParams(targets=["y"], features=["dim_3", "dim_0"])
    record = run_windowing(series, tmp_path, params)
    assert record["feature_columns"] == ["dim_3", "dim_0"]
    assert record["shapes"] == {"inputs": [None, 2]}
    with pytest.raises(ColumnNotFoundError, match=r"'windowing.features' names \['dim_99'\]"):
        check_windows_fit(
            series["train"],
            series["val"],
            series["test"],
            WindowingParams(targets=["y"], features=["dim_99"]),
            "classification",
            EVALUATION,
        )


@pytest.mark.parametrize("empty", ["train", "test"])
def test_an_empty_train_or_test_split_is_refused_naming_it(splits, empty):
    series, _ = splits
    given = {**series, empty: series["val"]}  # the empty one
    with pytest.raises(
        WindowingError, match=rf"The {empty} split '.*val_series.parquet' holds no case"
    ):
        check_windows_fit(
            given["train"], given["val"], given["test"], PARAMS, "classification", EVALUATION
        )


def test_splits_from_another_run_are_refused(splits, tmp_path):
    series, _ = splits
    other = vowel_like_frame(10, 3)
    other.attrs["classes"] = ["x", "y"]
    test = ParquetSequences(write_split(other, tmp_path, "test"))
    with pytest.raises(WindowingError, match=r"The test split .* classes \['x', 'y'\]"):
        check_windows_fit(
            series["train"], series["val"], test, PARAMS, "classification", EVALUATION
        )


def test_a_split_of_the_other_task_is_refused_naming_the_task(splits, split):
    series, _ = splits
    forecasting = ParquetSeries(split[0])
    with pytest.raises(WindowingError, match=r"The val split .* no labelled sequences"):
        check_windows_fit(
            series["train"], forecasting, series["test"], PARAMS, "classification", EVALUATION
        )
    with pytest.raises(WindowingError, match=r"holds labelled sequences, but task is 'forecast'"):
        check_windows_fit(forecasting, forecasting, series["test"], PARAMS, "forecast", EVALUATION)
