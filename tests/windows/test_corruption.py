"""Corrupt or edited shards are refused, naming the file (and the field), with default settings.

A flipped byte inside a shard's data keeps its size, so the default size check passes; the
per-chunk Fletcher-32 checksums (HDF5) and record CRCs (TFRecord) catch it while reading,
and the reader names the shard. An edited manifest is caught when the folder is opened: it
contradicts itself, or its shards' own recorded attributes.
"""

import json
import shutil

import h5py
import numpy as np
import pytest

from lstm_pipeline import make_dataset
from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.windows.batching import ReadOrder, iter_batches
from lstm_pipeline.windows.manifest import sha256_of
from lstm_pipeline.windows.reader import ShardSet, named_shard_errors
from tests.windows.conftest import collect, shard_files, windowing_job


def flip_a_data_byte(shard, fmt: str) -> None:
    """Flip one bit in the middle of the shard's stored window data (not its metadata)."""
    data = bytearray(shard.read_bytes())
    if fmt == "hdf5":
        with h5py.File(shard) as file:
            stored = file["values"] if "values" in file else file["inputs"]
            chunk = stored.id.get_chunk_info(0)
            # an uncompressed chunk is stored whole: aim inside the rows written to it
            written = min(len(stored), stored.chunks[0]) * stored[0].nbytes
        position = chunk.byte_offset + min(chunk.size, written) // 2
    else:  # past the first record (the shard's attributes): segment or window records
        position = len(data) // 2
    data[position] ^= 0x01
    shard.write_bytes(bytes(data))


def reading_error(folder) -> str:
    """The message of the ShardIntegrityError that reading every window with make_dataset's
    defaults raises (tf.data carries it as a TF error of its own: named_shard_errors gives
    it back its type, as training and evaluation do)."""
    try:
        with named_shard_errors():
            collect(make_dataset(folder, 8))
    except ShardIntegrityError as exc:
        return f"ShardIntegrityError: {exc}"
    pytest.fail(f"reading '{folder}' with a corrupt shard raised nothing")


def read_all(folder) -> None:
    """Every batch of ``folder``, in Python: what make_dataset's generator runs."""
    shard_set = ShardSet(folder)
    shard_ids = list(range(len(shard_set.manifest.shards)))
    for _ in iter_batches(shard_set, shard_ids, 8, ReadOrder(shuffle=True, seed=1)):
        pass


@pytest.mark.parametrize(
    ("fmt", "compression", "layout"),
    [
        ("hdf5", "gzip", "segments"),
        ("hdf5", "none", "segments"),
        ("hdf5", "lzf", "segments"),
        ("hdf5", "none", "windows"),
        ("tfrecord", "gzip", "segments"),
        ("tfrecord", "none", "segments"),
        ("tfrecord", "none", "windows"),
    ],
)
def test_a_flipped_byte_in_a_shard_is_named_when_read_with_default_settings(
    split, tmp_path, fmt, compression, layout
):
    path, _ = split
    folder = tmp_path / "shards"
    windowing_job(path, fmt, layout, compression=compression).write(folder)
    shard = shard_files(folder)[1]
    flip_a_data_byte(shard, fmt)
    with pytest.raises(ShardIntegrityError, match=rf"Shard '{shard}' cannot be read.*corrupt"):
        read_all(folder)
    assert f"ShardIntegrityError: Shard '{shard}' cannot be read" in reading_error(folder)


def test_the_flipped_byte_is_silent_without_the_checksums(split, tmp_path, monkeypatch):
    """The control: uncompressed HDF5 without Fletcher-32 reads the changed value back."""
    from lstm_pipeline.windows import stores

    monkeypatch.setattr(stores, "HDF5_FLETCHER32", False)
    path, _ = split
    folder = tmp_path / "shards"
    windowing_job(path, compression="none").write(folder)
    before = collect(make_dataset(folder, 64, shuffle=False))
    flip_a_data_byte(shard_files(folder)[1], "hdf5")
    after = collect(make_dataset(folder, 64, shuffle=False))
    assert not np.array_equal(before[0], after[0])


@pytest.fixture(params=["hdf5", "tfrecord"])
def folder(request, split, tmp_path):
    path, _ = split
    folder = tmp_path / "shards"
    windowing_job(path, request.param).write(folder)
    return folder


def edit_manifest(folder, **changes) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        target = manifest
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_an_edited_target_index_alone_is_refused_naming_manifest_and_field(folder):
    edit_manifest(folder, target_index=[0])  # 'y' is column 2: this would train on 'a'
    with pytest.raises(ShardIntegrityError, match=r"manifest.json' contradicts itself: target_"):
        make_dataset(folder, 8)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_columns": ["a"], "target_index": [0]}, "target_columns"),
        ({"feature_columns": ["b", "a", "y"], "feature_index": [1, 0, 2]}, "feature_columns"),
        ({"input_length": 20, "shapes__inputs": [20, 3]}, "input_length"),
        ({"horizon": 4, "shapes__targets": [4, 1]}, "horizon"),
        ({"offset": 3}, "offset"),
        ({"stride": 1}, "stride"),
        ({"frequency": "17min"}, "frequency"),
    ],
)
def test_a_consistently_edited_manifest_is_refused_by_the_shards_own_attributes(
    folder, changes, field
):
    edit_manifest(folder, **changes)
    shard = shard_files(folder)[0]
    with pytest.raises(
        ShardIntegrityError, match=rf"Shard '{shard}' disagrees with .*manifest.json' on {field}"
    ):
        make_dataset(folder, 8)


def test_a_shard_from_another_run_is_refused_by_its_lineage_generation(split, tmp_path):
    path, _ = split
    folders = {}
    for generation in ("aaaa", "bbbb"):
        job = windowing_job(path, lineage={"stage": "windowing", "generation": generation})
        folders[generation] = tmp_path / generation
        job.write(folders[generation])
    # the same data from another run, its size and SHA-256 patched into the manifest
    stranger = shard_files(folders["bbbb"])[1]
    shutil.copy(stranger, folders["aaaa"] / stranger.name)
    manifest = json.loads((folders["aaaa"] / "manifest.json").read_text())
    manifest["shards"][1].update(bytes=stranger.stat().st_size, sha256=sha256_of(stranger))
    (folders["aaaa"] / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShardIntegrityError, match=r"on lineage_generation: .*'aaaa'.*'bbbb'"):
        ShardSet(folders["aaaa"], verify="sha256")


def test_a_shard_without_attributes_is_refused_even_unverified(split, tmp_path):
    path, _ = split
    windowing_job(path).write(tmp_path / "shards")
    shard = shard_files(tmp_path / "shards")[0]
    with h5py.File(shard, "a") as file:
        del file.attrs["shard_attributes"]  # as an older writer left it
    with pytest.raises(ShardIntegrityError, match=rf"'{shard}' records no attributes"):
        make_dataset(tmp_path / "shards", 8, verify="none")


def test_every_shard_records_its_attributes(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    shard_set = ShardSet(folder)  # checks them all
    assert shard_set.manifest.shards[0].file == manifest["shards"][0]["file"]
    if manifest["format"] == "hdf5":
        with h5py.File(shard_files(folder)[0]) as file:
            recorded = json.loads(file.attrs["shard_attributes"])
            assert file["values"].fletcher32
        assert recorded["target_index"] == [2] and recorded["file"] == "shard-00000.h5"
        assert recorded["input_length"] == manifest["input_length"]
