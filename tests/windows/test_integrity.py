"""Shard folders: atomic replacement, and clear errors for missing, corrupt or truncated files."""

import json
import subprocess
import sys
import time

import pytest
from kedro.io import DatasetError

from lstm_pipeline import make_dataset
from lstm_pipeline.datasets import WindowShardsDataset
from lstm_pipeline.errors import ShardIntegrityError, WindowingError
from lstm_pipeline.windows import writing
from tests.windows.conftest import windowing_job


@pytest.fixture
def saved(split, tmp_path):
    path, _ = split
    dataset = WindowShardsDataset(path=str(tmp_path / "train_shards"))
    dataset.save(windowing_job(path))
    return dataset, tmp_path / "train_shards"


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_save_then_load_gives_a_lazy_verified_handle(saved):
    dataset, folder = saved
    shard_set = dataset.load()
    assert (
        shard_set.windows_total
        == json.loads((folder / "manifest.json").read_text())["windows_total"]
    )
    assert dataset.exists()
    preview = json.loads(dataset.preview())
    assert preview["format"] == "hdf5" and "segments" not in preview
    # no temporary or retired folder left; only the folder and its lock file
    assert sorted(p.name for p in folder.parent.iterdir()) == [".train_shards.lock", "train_shards"]


@pytest.mark.parametrize("fmt", ["hdf5", "tfrecord"])
def test_a_crash_mid_write_leaves_the_previous_shards_intact(split, tmp_path, monkeypatch, fmt):
    path, _ = split
    dataset = WindowShardsDataset(path=str(tmp_path / "train_shards"), format=fmt)
    dataset.save(windowing_job(path))
    before = snapshot(tmp_path / "train_shards")

    real = writing.iter_segments

    def crash_after_a_few(*args, **kwargs):
        for number, segment in enumerate(real(*args, **kwargs)):
            if number == 3:
                raise OSError("disk full")
            yield segment

    monkeypatch.setattr(writing, "iter_segments", crash_after_a_few)
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save(windowing_job(path, segment_rows=200))
    assert snapshot(tmp_path / "train_shards") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".train_shards.lock", "train_shards"]
    dataset.load()  # still verifies


def test_missing_manifest_is_a_clear_error(saved):
    _, folder = saved
    (folder / "manifest.json").unlink()
    with pytest.raises(ShardIntegrityError, match=r"manifest.json' is missing.*windowing"):
        make_dataset(folder, 8)


def test_corrupt_manifest_is_a_clear_error(saved):
    _, folder = saved
    (folder / "manifest.json").write_text('{"format": "hdf5", "lay')
    with pytest.raises(ShardIntegrityError, match="not a valid shard manifest"):
        make_dataset(folder, 8)


def test_truncated_shard_is_named(saved):
    _, folder = saved
    shard = sorted(folder.glob("*.h5"))[1]
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(ShardIntegrityError, match=rf"{shard.name}' has .* bytes.*truncated"):
        make_dataset(folder, 8)


def test_corrupt_shard_of_the_right_size_fails_its_checksum(saved):
    dataset, folder = saved
    shard = sorted(folder.glob("*.h5"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=rf"{shard.name}' fails its SHA-256"):
        dataset.load()  # the catalog entry checks SHA-256
    with pytest.raises(ShardIntegrityError, match="SHA-256"):
        make_dataset(folder, 8, verify="sha256")


def test_missing_shard_is_named(saved):
    _, folder = saved
    shard = sorted(folder.glob("*.h5"))[0]
    shard.unlink()
    with pytest.raises(ShardIntegrityError, match=rf"{shard.name}' listed in the manifest"):
        make_dataset(folder, 8)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from lstm_pipeline.files import exclusive_lock
with exclusive_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_save_while_another_process_writes_fails_at_once_naming_it(split, saved):
    path, _ = split
    dataset, folder = saved
    before = snapshot(folder)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(
            DatasetError, match=rf"being written by another run \(pid {holder.pid},"
        ):
            dataset.save(windowing_job(path, segment_rows=200))
        assert time.monotonic() - started < 30  # it did not wait for the holder to finish
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(folder) == before


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_folder_retired_by_a_killed_swap_is_put_back_by_the_next_load(saved, dead_pid):
    dataset, folder = saved
    windows = dataset.load().windows_total
    before = snapshot(folder)
    folder.rename(folder.with_name(f".train_shards.old-{dead_pid}-0123abcd"))
    shard_set = dataset.load()
    assert shard_set.windows_total == windows and snapshot(folder) == before
    assert sorted(p.name for p in folder.parent.iterdir()) == [".train_shards.lock", "train_shards"]


def test_leftovers_of_dead_writers_are_gone_after_the_next_save(split, saved, dead_pid):
    path, _ = split
    dataset, folder = saved
    leftovers = [
        folder.with_name(f".train_shards.tmp-{dead_pid}-89abcdef"),  # a killed write
        folder.with_name(f".train_shards.old-{dead_pid}-456789ab"),  # a killed swap's tail
    ]
    for leftover in leftovers:
        leftover.mkdir()
        (leftover / "shard-00000.h5").write_bytes(b"half written")
    dataset.save(windowing_job(path, segment_rows=200))
    assert sorted(p.name for p in folder.parent.iterdir()) == [".train_shards.lock", "train_shards"]
    assert dataset.load().manifest.segment_rows == 200


def test_a_live_writers_temporary_is_left_alone(split, saved):
    path, _ = split
    dataset, folder = saved
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        temporary = folder.with_name(f".train_shards.tmp-{writer.pid}-89abcdef")
        temporary.mkdir()
        dataset.save(windowing_job(path, segment_rows=200))
        assert temporary.is_dir()
    finally:
        writer.kill()
        writer.wait()


def test_a_split_without_a_window_replaces_no_shards(tmp_path, saved):
    import numpy as np
    import pandas as pd

    dataset, folder = saved
    before = snapshot(folder)
    index = pd.date_range("2020-01-01", periods=400, freq="1h", name="timestamp")
    values = np.ones((400, 3), np.float32)
    values[::20, 1] = np.nan  # runs of 19 complete rows, windows need 30
    gappy = tmp_path / "gappy.parquet"
    pd.DataFrame(values, index=index, columns=["a", "b", "y"]).to_parquet(gappy)
    with pytest.raises(DatasetError, match=r"gappy.parquet' has 400 rows but not one complete"):
        dataset.save(windowing_job(gappy))
    assert snapshot(folder) == before
    with pytest.raises(WindowingError, match="19 rows"):
        windowing_job(gappy).write(tmp_path / "direct")
