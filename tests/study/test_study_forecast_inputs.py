"""Forecasting's study lengths: the stored splits windowed again at each input length with
the windowing stage's jobs (val and test windows reach back into the splits before them),
written once and reused."""

import numpy as np
import pandas as pd

from lstm_pipeline.pipelines.study.nodes import prepare_study
from lstm_pipeline.pipelines.study.params import StudyParams
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries

ROWS = {"train": 300, "val": 80, "test": 60}
HORIZON = 4


def test_each_input_length_is_windowed_once_from_the_stored_splits(tmp_path):
    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=sum(ROWS.values()), freq="1h", name="timestamp")
    frame = pd.DataFrame(rng.normal(size=(len(index), 3)).astype(np.float32), index=index)
    frame.columns = ["a", "b", "y"]
    splits, start = {}, 0
    for name, rows in ROWS.items():
        path = tmp_path / f"{name}_series.parquet"
        frame.iloc[start : start + rows].to_parquet(path)
        splits[name], start = ParquetSeries(path), start + rows
    study = StudyParams.model_validate(
        {"forecast": {"input_lengths": [8, 48]}, "folder": str(tmp_path / "study")}
    )
    windowing = WindowingParams.model_validate({"targets": ["y"], "horizon": HORIZON})
    inputs = prepare_study(*splits.values(), windowing, study, 42, "forecast")
    assert [entry["length"] for entry in inputs["lengths"]] == [8, 48]
    for entry in inputs["lengths"]:
        length = entry["length"]
        assert entry["factor"] is None
        assert entry["record"]["shapes"] == {"inputs": [length, 3], "targets": [HORIZON, 1]}
        windows = {split: ShardSet(entry[split]).windows_total for split in ROWS}
        # oracle: stride 1; val and test forecast every target step of their own rows
        assert windows == {
            "train": ROWS["train"] - length - HORIZON + 1,
            "val": ROWS["val"] - HORIZON + 1,
            "test": ROWS["test"] - HORIZON + 1,
        }
    before = {e["train"]: (tmp_path / e["train"] / "manifest.json").stat().st_mtime_ns
              for e in inputs["lengths"]}  # fmt: skip
    again = prepare_study(*splits.values(), windowing, study, 42, "forecast")
    assert again["lengths"] == inputs["lengths"]
    for path, stamp in before.items():  # written once: reused, not windowed again
        assert (tmp_path / path / "manifest.json").stat().st_mtime_ns == stamp
