"""Atomic saves: a save that fails leaves the previous artifact byte-identical."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.datasets import AtomicJSONDataset, AtomicParquetDataset, RawFilesDataset


def test_parquet_round_trip_keeps_the_time_index(tmp_path):
    data = pd.DataFrame(
        {"x": np.arange(3, dtype=np.float32)},
        index=pd.date_range("2020-01-01", periods=3, freq="1h", name="timestamp"),
    )
    dataset = AtomicParquetDataset(filepath=str(tmp_path / "sub" / "a.parquet"))
    dataset.save(data)
    pd.testing.assert_frame_equal(dataset.load(), data, check_freq=False)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.parquet"]  # no temp file left


def test_failed_save_leaves_the_previous_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "a.parquet"
    dataset = AtomicParquetDataset(filepath=str(path))
    dataset.save(pd.DataFrame({"x": [1.0, 2.0]}))
    before = path.read_bytes()

    def crash_midway(self, target, **kwargs):
        target.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash_midway)
    with pytest.raises(Exception, match="disk full"):
        dataset.save(pd.DataFrame({"x": [3.0]}))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.parquet"]


def test_json_save_is_atomic_too(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    dataset = AtomicJSONDataset(filepath=str(path))
    dataset.save({"a": 1})
    monkeypatch.setattr("json.dump", lambda *a, **k: (_ for _ in ()).throw(ValueError("boom")))
    with pytest.raises(Exception, match="boom"):
        dataset.save({"a": 2})
    assert dataset.load() == {"a": 1}


def test_raw_files_dataset_lists_files_and_is_read_only(tmp_path, slice_path):
    dataset = RawFilesDataset(path=str(slice_path))
    assert dataset.load() == [slice_path]
    assert dataset.exists()
    assert "household_power_14days" in dataset.preview()
    with pytest.raises(Exception, match="read-only"):
        dataset.save([])
    assert not RawFilesDataset(path=str(tmp_path / "none")).exists()
