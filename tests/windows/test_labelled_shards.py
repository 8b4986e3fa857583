"""Labelled shards: one record per case, unpadded on disk; the reader pads per batch,
bucketed by length, with a mask; exact resume; integrity checks as for windows.

The oracle is the pandas frame written to Parquet (``cases_of``: a groupby per case).
"""

import json

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline import make_dataset
from lstm_pipeline.datasets.shards import WindowShardsDataset
from lstm_pipeline.errors import SequenceShapeError, ShardIntegrityError
from lstm_pipeline.windows import sequences
from lstm_pipeline.windows.bucketing import LENGTH_JITTER, bucket
from lstm_pipeline.windows.reader import ShardSet, named_shard_errors
from lstm_pipeline.windows.sequences import ParquetSequences
from tests.windows.conftest import shard_files
from tests.windows.labelled import (
    CLASSES,
    FEATURES,
    cases_of,
    empty_frame,
    sequence_job,
    unpadded,
    vowel_like_frame,
    write_split,
)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    frame = vowel_like_frame()
    return write_split(frame, tmp_path_factory.mktemp("labelled")), cases_of(frame)


@pytest.fixture(scope="module", params=["hdf5", "tfrecord"])
def folder(request, labelled, tmp_path_factory):
    path, _ = labelled
    folder = tmp_path_factory.mktemp("shards") / request.param
    sequence_job(path, request.param, shard_mb=0.02).write(folder)
    return folder


def test_parquet_sequences_streams_every_case_even_across_row_batches(labelled, monkeypatch):
    path, oracle = labelled
    monkeypatch.setattr(sequences, "BATCH_ROWS", 50)  # most cases span two batches
    monkeypatch.setattr(ParquetSequences, "to_pandas", None)  # never the whole split
    split = ParquetSequences(path)
    found = list(split.iter_cases())
    assert [(c, lab) for c, lab, _ in found] == [(c, lab) for c, lab, _ in oracle]
    for (_, _, values), (_, _, expected) in zip(found, oracle, strict=True):
        np.testing.assert_array_equal(values, expected)
    assert (split.name, split.columns, split.classes) == ("train", FEATURES, CLASSES)
    assert split.num_cases == len(oracle)
    assert split.lengths().tolist() == [len(v) for _, _, v in oracle]
    assert split.lengths().index.tolist() == [c for c, _, _ in oracle]


def test_describes_tells_a_classification_split_from_a_forecasting_one(labelled, split):
    assert ParquetSequences.describes(labelled[0])
    assert not ParquetSequences.describes(split[0])


def test_rows_of_a_case_out_of_order_are_refused_naming_file_and_case(tmp_path):
    frame = vowel_like_frame(cases=6)
    first = frame["case"].iloc[0]
    moved = pd.concat([frame[frame["case"] != first], frame[frame["case"] == first]])
    moved.attrs = frame.attrs
    path = write_split(moved.reset_index(drop=True), tmp_path)
    with pytest.raises(SequenceShapeError, match=rf"'{path}': case {first} comes after case"):
        list(ParquetSequences(path).iter_cases())


def test_shards_hold_every_case_unpadded_with_its_label_and_length(folder, labelled):
    _, oracle = labelled
    shard_set = ShardSet(folder, verify="sha256")
    m = shard_set.manifest
    lengths = [len(v) for _, _, v in oracle]
    assert len(m.shards) > 2 and shard_set.cases_total == len(oracle)
    assert (m.min_length, m.max_length) == (min(lengths), max(lengths))
    assert m.rows_total == sum(lengths)  # no padding stored
    assert (shard_set.classes, m.feature_columns) == (CLASSES, FEATURES)
    assert m.shapes == {"inputs": [None, len(FEATURES)]}
    table = shard_set.case_table()
    assert table.to_dict("list") == {
        "case": [c for c, _, _ in oracle],
        "label": [lab for _, lab, _ in oracle],
        "length": lengths,
    }


def test_round_trip_in_stored_order(folder, labelled):
    _, oracle = labelled
    found = unpadded(make_dataset(folder, 16, shuffle=False))
    assert len(found) == len(oracle)
    for (label, values), (_, expected_label, expected) in zip(found, oracle, strict=True):
        assert label == expected_label
        np.testing.assert_array_equal(values, expected)


def test_shuffled_epoch_holds_every_case_once(folder, labelled):
    _, oracle = labelled
    found = unpadded(make_dataset(folder, 16, seed=3, epoch=1))
    assert sorted((lab, v.tobytes()) for lab, v in found) == sorted(
        (lab, v.tobytes()) for _, lab, v in oracle
    )
    stored = [lab for lab, _ in unpadded(make_dataset(folder, 16, shuffle=False))]
    assert [lab for lab, _ in found] != stored  # shuffled indeed


def padded_steps(dataset) -> tuple[int, int]:
    """(cells stored in the batches, cells holding a real step)."""
    total = real = 0
    for inputs, _ in dataset:
        mask = inputs["mask"].numpy()
        total, real = total + mask.size, real + int(mask.sum())
    return total, real


def test_bucketing_pads_far_less_than_unsorted_batches(folder):
    total, real = padded_steps(make_dataset(folder, 8, seed=1))
    unsorted_total, _ = padded_steps(make_dataset(folder, 8, shuffle=False))
    bucketed, unsorted = total - real, unsorted_total - real
    assert bucketed < unsorted / 4, (bucketed, unsorted)


def test_batch_length_is_the_longest_case_rounded_up_to_pad_to_multiple(folder):
    for multiple in (1, 8):
        for inputs, _ in make_dataset(folder, 16, seed=2, pad_to_multiple=multiple):
            longest = int(inputs["mask"].numpy().sum(axis=1).max())
            assert inputs["values"].shape[1] == -(-longest // multiple) * multiple


def as_arrays(dataset) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [(x["values"].numpy(), x["mask"].numpy(), y.numpy()) for x, y in dataset]


def assert_same_batches(a, b) -> None:
    assert len(a) == len(b)
    for left, right in zip(a, b, strict=True):
        for x, y in zip(left, right, strict=True):
            np.testing.assert_array_equal(x, y)


def test_same_seed_and_epoch_give_the_same_batches_and_skip_resumes_them(folder):
    first = as_arrays(make_dataset(folder, 16, seed=7, epoch=2))
    assert_same_batches(first, as_arrays(make_dataset(folder, 16, seed=7, epoch=2)))
    assert_same_batches(first[3:], as_arrays(make_dataset(folder, 16, seed=7, epoch=2).skip(3)))
    other = as_arrays(make_dataset(folder, 16, seed=7, epoch=3))
    assert [b[2].tolist() for b in other] != [b[2].tolist() for b in first]


def test_repeat_gives_epoch_after_epoch_each_as_alone(folder):
    epochs = [as_arrays(make_dataset(folder, 32, seed=1, epoch=e)) for e in (4, 5)]
    per_epoch = len(epochs[0])
    repeated = as_arrays(make_dataset(folder, 32, seed=1, epoch=4, repeat=True).take(2 * per_epoch))
    assert_same_batches(repeated, epochs[0] + epochs[1])


def test_epoch_steps_and_epochs_cut_a_repeated_stream_into_the_training_loops_epochs(folder):
    # what one fit over epochs 4..6 of 2 batches each reads: each epoch's own first 2 batches
    alone = [as_arrays(make_dataset(folder, 16, seed=1, epoch=e))[:2] for e in (4, 5, 6)]
    stream = make_dataset(folder, 16, seed=1, epoch=4, repeat=True, epoch_steps=2, epochs=3)
    assert_same_batches(as_arrays(stream), alone[0] + alone[1] + alone[2])  # and then it ends
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        make_dataset(folder, 16, repeat=True, epochs=0)


@pytest.mark.parametrize("shuffle", [True, False])
def test_drop_remainder_gives_full_batches_of_a_static_size(folder, labelled, shuffle):
    dataset = make_dataset(folder, 16, shuffle=shuffle, drop_remainder=True)
    assert dataset.element_spec[1].shape.as_list() == [16]
    sizes = [len(y) for _, y in dataset]
    assert sizes == [16] * (len(labelled[1]) // 16)


def test_bucket_keeps_lengths_together_and_the_remainder_whole():
    rng = np.random.default_rng(0)
    pool = [(np.zeros((n, 1)), 0, i) for i, n in enumerate(rng.integers(1, 100, size=50))]
    batches = bucket(pool, 8, np.random.default_rng(1), drop_remainder=False)
    assert sorted(len(b) for b in batches) == [2, 8, 8, 8, 8, 8, 8]
    spans = sorted((min(len(c[0]) for c in b), max(len(c[0]) for c in b)) for b in batches)
    # sorted by length jittered by up to J: a batch's longest case is at most (1+J)/(1-J)
    # times the next batch's shortest
    most = (1 + LENGTH_JITTER) / (1 - LENGTH_JITTER)
    assert all(high <= low * most for (_, high), (low, _) in zip(spans, spans[1:], strict=False))
    kept = bucket(pool, 8, np.random.default_rng(1), drop_remainder=True)
    assert [len(b) for b in kept] == [8] * 6


def flip_a_value_byte(shard, fmt: str) -> None:
    """Flip one bit inside the stored values (past the shard's own attributes)."""
    import h5py

    data = bytearray(shard.read_bytes())
    if fmt == "hdf5":
        with h5py.File(shard) as file:
            chunk = file["values"].id.get_chunk_info(0)
        position = chunk.byte_offset + chunk.size // 2
    else:
        position = len(data) // 2
    data[position] ^= 0x01
    shard.write_bytes(bytes(data))


@pytest.mark.parametrize(("fmt", "compression"), [("hdf5", "gzip"), ("tfrecord", "none")])
def test_a_corrupt_shard_is_named_when_read(labelled, tmp_path, fmt, compression):
    folder = tmp_path / "shards"
    sequence_job(labelled[0], fmt, shard_mb=0.02, compression=compression).write(folder)
    shard = shard_files(folder)[1]
    flip_a_value_byte(shard, fmt)
    with pytest.raises(ShardIntegrityError, match=rf"Shard '{shard}' fails its SHA-256 check"):
        ShardSet(folder, verify="sha256")
    with (
        pytest.raises(ShardIntegrityError, match=rf"Shard '{shard}' cannot be read"),
        named_shard_errors(),
    ):
        list(make_dataset(folder, 16, shuffle=False))


def test_an_edited_manifest_is_refused_naming_the_shard_and_field(folder, tmp_path):
    import shutil

    edited = tmp_path / "edited"
    shutil.copytree(folder, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["classes"] = list(reversed(manifest["classes"]))
    (edited / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShardIntegrityError, match=r"disagrees with .*manifest.json' on classes"):
        ShardSet(edited)
    manifest["cases_total"] += 1
    (edited / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShardIntegrityError, match=r"contradicts itself: cases_total"):
        ShardSet(edited)


@pytest.mark.parametrize("fmt", ["hdf5", "tfrecord"])
def test_an_empty_split_writes_a_valid_empty_folder(tmp_path, fmt):
    path = write_split(empty_frame(), tmp_path, "val")
    split = ParquetSequences(path)
    assert (split.num_cases, split.name) == (0, "val")
    dataset = WindowShardsDataset(str(tmp_path / "val_shards"), format=fmt)
    dataset.save(sequence_job(path))
    shard_set = dataset.load()
    assert (shard_set.cases_total, shard_set.manifest.shards) == (0, [])
    assert (shard_set.min_length, shard_set.max_length) == (None, None)
    assert list(make_dataset(shard_set, 4)) == []
    assert shard_set.case_table().empty


def test_the_catalog_dataset_swaps_labelled_shards_into_place(labelled, tmp_path):
    dataset = WindowShardsDataset(str(tmp_path / "train_shards"), format="tfrecord")
    dataset.save(sequence_job(labelled[0], "hdf5", shard_mb=0.02))
    shard_set = dataset.load()
    assert shard_set.task == "classification" and shard_set.manifest.format == "tfrecord"
    assert shard_set.windows_total == shard_set.samples_total == len(labelled[1])
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_pad_to_multiple_must_be_a_positive_integer(folder):
    with pytest.raises(ValueError, match=r"pad_to_multiple must be a positive integer, got 0"):
        make_dataset(folder, 16, pad_to_multiple=0)


def test_bucketed_batches_mix_different_cases_from_one_epoch_to_the_next():
    rng = np.random.default_rng(0)
    pool = [(np.zeros((n, 1)), 0, i) for i, n in enumerate(rng.integers(5, 30, size=64))]

    def groups(seed):
        batches = bucket(pool, 8, np.random.default_rng(seed), drop_remainder=True)
        return {frozenset(case for *_, case in batch) for batch in batches}

    assert groups(1) != groups(2)  # one pool holds every case, yet the batches change
