"""make_dataset: one meaning across formats and layouts, seeded shuffling, disjoint workers."""

import numpy as np
import pytest
import tensorflow as tf

from lstm_pipeline import make_dataset
from tests.windows.conftest import H, L, collect, windowing_job


@pytest.fixture(scope="module")
def shard_folders(split, tmp_path_factory):
    path, _ = split
    root = tmp_path_factory.mktemp("shards")
    folders = {}
    for fmt in ("hdf5", "tfrecord"):
        for layout in ("segments", "windows"):
            folders[fmt, layout] = root / f"{fmt}_{layout}"
            windowing_job(path, fmt, layout).write(folders[fmt, layout])
    return folders


def test_every_format_and_layout_yields_the_same_windows_in_the_same_order(shard_folders):
    reference = collect(make_dataset(shard_folders["hdf5", "segments"], 50, shuffle=False))
    assert reference[0].shape[1:] == (L, 3) and reference[1].shape[1:] == (H, 1)
    for key, folder in shard_folders.items():
        x, y = collect(make_dataset(folder, 50, shuffle=False))
        np.testing.assert_array_equal(x, reference[0], err_msg=str(key))
        np.testing.assert_array_equal(y, reference[1], err_msg=str(key))


def test_unshuffled_windows_come_in_time_order(split, shard_folders):
    _, frame = split
    x, _ = collect(make_dataset(shard_folders["tfrecord", "segments"], 64, shuffle=False))
    values = frame.to_numpy(np.float32)
    np.testing.assert_array_equal(x[0], values[:L])
    np.testing.assert_array_equal(x[1], values[2 : 2 + L])  # stride 2


@pytest.mark.parametrize("fmt", ["hdf5", "tfrecord"])
def test_shuffling_is_reproducible_per_seed_and_differs_across_seeds(shard_folders, fmt):
    folder = shard_folders[fmt, "segments"]
    first = collect(make_dataset(folder, 64, seed=7))
    again = collect(make_dataset(folder, 64, seed=7))
    other = collect(make_dataset(folder, 64, seed=8))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    ordered = collect(make_dataset(folder, 64, shuffle=False))
    assert not np.array_equal(first[0], ordered[0])


def test_each_repeated_epoch_is_a_new_permutation_of_the_same_windows(shard_folders):
    folder = shard_folders["hdf5", "segments"]
    total = collect(make_dataset(folder, 100, shuffle=False))[0].shape[0]
    batches = -(-total // 100)
    stream = make_dataset(folder, 100, seed=3, repeat=True).take(2 * batches)
    x, _ = collect(stream)
    epoch_one, epoch_two = x[:total], x[total:]
    assert sorted(w.tobytes() for w in epoch_one) == sorted(w.tobytes() for w in epoch_two)
    assert not np.array_equal(epoch_one, epoch_two)


def test_batches_mix_windows_from_several_segments(split, shard_folders):
    _, frame = split
    x, _ = collect(make_dataset(shard_folders["hdf5", "segments"], 64, seed=1).take(1))
    starts = [np.flatnonzero(frame["a"].to_numpy() == w[0, 0])[0] for w in x]
    assert np.ptp(starts) > 600  # segments are 300 rows: the batch spans several


def test_drop_remainder_gives_a_fixed_batch_shape(shard_folders):
    dataset = make_dataset(shard_folders["hdf5", "segments"], 64, drop_remainder=True)
    assert dataset.element_spec[0].shape == (64, L, 3)
    assert all(int(b[0].shape[0]) == 64 for b in dataset)


def test_input_context_gives_each_worker_disjoint_shards(shard_folders):
    folder = shard_folders["tfrecord", "windows"]
    everything = collect(make_dataset(folder, 32, shuffle=False))[0]
    parts = []
    for worker in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=worker, num_replicas_in_sync=2
        )
        dataset = make_dataset(folder, 32, shuffle=False, input_context=context)
        assert dataset.element_spec[0].shape[0] in (None, 16)
        parts.append({w.tobytes() for w in collect(dataset)[0]})
    assert parts[0] and parts[1] and not parts[0] & parts[1]
    assert parts[0] | parts[1] == {w.tobytes() for w in everything}


def test_bad_batch_size_is_refused(shard_folders):
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(shard_folders["hdf5", "segments"], 0)


def test_an_epoch_shorter_than_the_loops_epoch_steps_is_an_error():
    from lstm_pipeline.windows.batching import ReadOrder, epochs_in_order

    two_epochs = ReadOrder(repeat=True, epoch_steps=3, epochs=2)
    taken = epochs_in_order(lambda e: iter([e] * 5), two_epochs)
    assert list(taken) == [0, 0, 0, 1, 1, 1]
    short = epochs_in_order(lambda e: iter([e] * 2), ReadOrder(repeat=True, epoch_steps=3))
    with pytest.raises(RuntimeError, match="epoch 0 gave 2 batches, fewer than epoch_steps 3"):
        list(short)
