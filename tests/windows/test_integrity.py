"""Shard folders: atomic replacement, and clear errors for missing, corrupt or truncated files."""

import json

import pytest
from kedro.io import DatasetError

from lstm_pipeline import make_dataset
from lstm_pipeline.datasets import WindowShardsDataset
from lstm_pipeline.errors import ShardIntegrityError
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
