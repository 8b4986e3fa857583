"""Shard folders on s3://: the same windows as the local folder, content-addressed objects
with the manifest put last, and a failed save that loses nothing."""

import json

import numpy as np
import pytest
from kedro.io import DatasetError

from lstm_pipeline import make_dataset
from lstm_pipeline.datasets import WindowShardsDataset
from lstm_pipeline.storage.shards import OBJECTS
from tests.storage.conftest import objects
from tests.windows.conftest import collect, windowing_job


def windows(shard_set) -> tuple[np.ndarray, np.ndarray]:
    return collect(make_dataset(shard_set, 64, shuffle=False))


@pytest.mark.parametrize("fmt", ["hdf5", "tfrecord"])
def test_a_folder_on_s3_reads_back_the_windows_of_the_local_one(
    split, bucket, credentials, store, tmp_path, fmt
):
    path, _ = split
    local = WindowShardsDataset(str(tmp_path / "local"))
    local.save(windowing_job(path, fmt))
    url = f"{bucket}/05_model_input/train_shards"
    remote = WindowShardsDataset(url, credentials=credentials, cache=str(tmp_path / "cache"))
    assert not remote.exists()
    remote.save(windowing_job(path, fmt))
    assert remote.exists()
    # a fresh cache: this load downloads every shard the manifest lists
    elsewhere = WindowShardsDataset(url, credentials=credentials, cache=str(tmp_path / "other"))
    expected = windows(local.load())
    for loaded in (remote.load(), elsewhere.load()):
        got = windows(loaded)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    manifest = json.loads(store.cat_file(f"{url[5:]}/manifest.json"))
    assert len(manifest["shards"]) > 1
    stored = set(objects(store, url))
    assert stored == {f"{url[5:]}/manifest.json"} | {
        f"{url[5:]}/{OBJECTS}/{s['sha256'][:16]}/{s['file']}" for s in manifest["shards"]
    }
    assert json.loads(remote.preview())["format"] == fmt


def test_a_failed_save_leaves_the_previous_folder_and_the_next_one_clears_up(
    split, bucket, credentials, store, tmp_path, monkeypatch
):
    path, _ = split
    url = f"{bucket}/train_shards"
    dataset = WindowShardsDataset(url, credentials=credentials, cache=str(tmp_path / "cache"))
    dataset.save(windowing_job(path, segment_rows=300))
    before = objects(store, url)
    old_windows = windows(dataset.load())

    from lstm_pipeline.storage import shards

    def lost_connection(*args):
        raise OSError("connection reset while putting the manifest")

    # other segments: other shards, all put before the manifest put fails
    with monkeypatch.context() as patch:
        patch.setattr(shards, "put_bytes", lost_connection)
        with pytest.raises(Exception, match="connection reset"):
            dataset.save(windowing_job(path, segment_rows=450))
    after = objects(store, url)
    assert {key: after[key] for key in before} == before  # every old object byte-identical
    assert len(after) > len(before)  # the failed save's shards, listed by no manifest
    fresh = WindowShardsDataset(url, credentials=credentials, cache=str(tmp_path / "fresh"))
    np.testing.assert_array_equal(windows(fresh.load())[0], old_windows[0])

    dataset.save(windowing_job(path, segment_rows=450))
    manifest = json.loads(store.cat_file(f"{url[5:]}/manifest.json"))
    assert len(objects(store, url)) == len(manifest["shards"]) + 1  # orphans removed


def test_a_damaged_object_is_named_with_the_url_and_not_kept(
    split, bucket, credentials, store, tmp_path
):
    path, _ = split
    url = f"{bucket}/val_shards"
    WindowShardsDataset(url, credentials=credentials, cache=str(tmp_path / "a")).save(
        windowing_job(path)
    )
    manifest = json.loads(store.cat_file(f"{url[5:]}/manifest.json"))
    shard = manifest["shards"][1]
    key = f"{url[5:]}/{OBJECTS}/{shard['sha256'][:16]}/{shard['file']}"
    data = bytearray(store.cat_file(key))
    data[len(data) // 2] ^= 0xFF  # same size: only the SHA-256 tells
    store.pipe_file(key, bytes(data))
    cache = tmp_path / "b"
    dataset = WindowShardsDataset(url, credentials=credentials, cache=str(cache))
    with pytest.raises(DatasetError, match=rf"{shard['file']}.*SHA-256.*'{url}'"):
        dataset.load()
    assert not list(cache.rglob(shard["file"]))  # the damaged copy is not trusted again
