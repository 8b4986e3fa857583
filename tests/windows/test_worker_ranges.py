"""Distributed reading: each input pipeline (worker) reads a disjoint share of a shard folder.

HDF5 folders are split by contiguous index ranges of their segments, windows or cases
(so even one file feeds several workers); TFRecord folders by whole files (``i::n``). The
oracles: ``numpy.array_split`` for the range arithmetic, and the unsplit read of the same
folder for what the shares hold together.
"""

import numpy as np
import pytest
import tensorflow as tf

from lstm_pipeline.windows.batching import ReadOrder, iter_batches
from lstm_pipeline.windows.case_stores import read_hdf5_cases
from lstm_pipeline.windows.reader import (
    ShardSet,
    examples_per_pipeline,
    item_ranges,
    make_dataset,
    pipeline_share,
)
from lstm_pipeline.windows.stores import read_hdf5_items
from tests.training.conftest import sine_frame
from tests.windows.conftest import shard_files, windowing_job
from tests.windows.labelled import sequence_job, vowel_like_frame, write_split

# shard_mb giving 1, 2 and 3 HDF5 files for the fixture data below (checked in the fixture)
SHARD_MB = {
    "segments": {1: 1.0, 2: 0.008, 3: 0.004},
    "windows": {1: 1.0, 2: 0.05, 3: 0.04},
    "sequences": {1: 1.0, 2: 0.02, 3: 0.012},
}
FOLDERS = [(layout, files) for layout in SHARD_MB for files in (1, 2, 3)]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("worker_ranges")
    frame = sine_frame(700)
    frame["b"] = 2 * frame["a"]
    frame.to_parquet(root / "series.parquet")
    return root, root / "series.parquet", write_split(vowel_like_frame(40), root)


def _write(sources, layout: str, files: int, fmt: str = "hdf5"):
    root, series, cases = sources
    folder = root / f"{fmt}-{layout}-{files}"
    if not folder.exists():
        mb = SHARD_MB[layout][files]
        if layout == "sequences":
            sequence_job(cases, fmt, shard_mb=mb).write(folder)
        else:
            job = windowing_job(series, fmt, layout, segment_rows=120, shard_mb=mb)
            job.write(folder)
    assert len(shard_files(folder)) == files  # the fixture is what the test means
    return ShardSet(folder)


def _rows(dataset) -> np.ndarray:
    """Every example the dataset yields, one flat row each (windows: inputs then targets;
    cases: label then values, padded by their batch to a common length)."""
    rows = []
    for inputs, targets in dataset.as_numpy_iterator():
        if isinstance(inputs, dict):  # labelled cases: values padded per batch
            values = inputs["values"].reshape(len(targets), -1)
            values = np.pad(values, ((0, 0), (0, 30 * 12 - values.shape[1])))
            rows.append(np.concatenate([targets[:, None].astype(np.float32), values], axis=1))
        else:
            flat = [inputs.reshape(len(inputs), -1), targets.reshape(len(targets), -1)]
            rows.append(np.concatenate(flat, axis=1))
    return np.concatenate(rows) if rows else np.empty((0, 0), np.float32)


def _sorted(rows: np.ndarray) -> np.ndarray:
    return rows[np.lexsort(rows.T[::-1])]


def _share(shard_set, pipelines: int, pipeline_id: int, **order):
    context = tf.distribute.InputContext(pipelines, pipeline_id, pipelines)
    dataset = make_dataset(shard_set, 4 * pipelines, input_context=context, **order)
    return _rows(dataset)


@pytest.mark.parametrize("pipelines", [1, 2, 3, 4, 5, 7])
def test_item_ranges_are_numpy_array_split_cut_at_shard_ends(pipelines):
    rng = np.random.default_rng(pipelines)
    for counts in ([5], [0, 3, 0], [1, 1, 1, 1, 1, 1, 1], list(rng.integers(0, 9, size=6))):
        starts = np.cumsum([0, *counts])
        expected = np.array_split(np.arange(sum(counts)), pipelines)
        for pipeline_id in range(pipelines):
            pieces = item_ranges(counts, pipelines, pipeline_id)
            assert all(0 <= p.start < p.stop <= counts[p.shard] for p in pieces)
            read = [np.arange(p.start, p.stop) + starts[p.shard] for p in pieces]
            got = np.concatenate(read) if read else np.empty(0, int)
            np.testing.assert_array_equal(got, expected[pipeline_id])


@pytest.mark.parametrize(("layout", "files"), FOLDERS)
def test_hdf5_shares_are_disjoint_nearly_equal_and_cover_every_example_once(sources, layout, files):
    shard_set = _write(sources, layout, files)
    whole = _sorted(_rows(make_dataset(shard_set, 16, shuffle=False)))
    assert len(whole) == shard_set.samples_total
    for pipelines in (1, 2, 3, 4):
        shares = [_share(shard_set, pipelines, i, shuffle=False) for i in range(pipelines)]
        # together: every window (case) exactly once, as the unsplit read has them
        np.testing.assert_array_equal(_sorted(np.concatenate(shares)), whole)
        assert [len(s) for s in shares] == examples_per_pipeline(shard_set, pipelines)
        items = [
            sum(p.stop - p.start for p in pipeline_share(shard_set, pipelines, i))
            for i in range(pipelines)
        ]
        assert max(items) - min(items) <= 1  # segments, windows or cases
        assert all(len(s) > 0 for s in shares)


def test_a_shuffled_share_is_seeded_and_holds_the_unshuffled_share(sources):
    shard_set = _write(sources, "segments", 1)
    unshuffled = _share(shard_set, 2, 1, shuffle=False)
    first = _share(shard_set, 2, 1, seed=3, epoch=1)
    np.testing.assert_array_equal(first, _share(shard_set, 2, 1, seed=3, epoch=1))
    assert not np.array_equal(first, _share(shard_set, 2, 1, seed=4, epoch=1))
    np.testing.assert_array_equal(_sorted(first), _sorted(unshuffled))


@pytest.mark.parametrize("layout", ["segments", "windows", "sequences"])
def test_an_hdf5_reader_given_a_range_yields_that_range_of_the_whole_read(sources, layout):
    shard_set = _write(sources, layout, 1)
    path = str(shard_files(shard_set.folder)[0])
    if layout == "sequences":
        whole, part = list(read_hdf5_cases(path)), list(read_hdf5_cases(path, slice(7, 23)))
        expected = whole[7:23]
    elif layout == "segments":
        whole = list(read_hdf5_items(path, layout))
        part, expected = list(read_hdf5_items(path, layout, slice(2, 5))), whole[2:5]
    else:  # one block of every window, here: the range cut from it
        (whole,) = list(read_hdf5_items(path, layout))
        (part,) = list(read_hdf5_items(path, layout, slice(40, 95)))
        part, expected = [part], [tuple(array[40:95] for array in whole)]
    assert len(part) == len(expected) > 0
    for got, want in zip(part, expected, strict=True):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_tfrecord_folders_are_still_split_by_whole_files(sources):
    shard_set = _write(sources, "segments", 3, fmt="tfrecord")
    order = ReadOrder(shuffle=False)
    for pipeline_id in range(2):
        own_files = [0, 2] if pipeline_id == 0 else [1]
        assert pipeline_share(shard_set, 2, pipeline_id) == own_files
        batches = iter_batches(shard_set, own_files, 8, order)
        expected = [
            np.concatenate([x.reshape(len(x), -1), y.reshape(len(y), -1)], 1) for x, y in batches
        ]
        np.testing.assert_array_equal(
            _share(shard_set, 2, pipeline_id, shuffle=False), np.concatenate(expected)
        )


def test_fewer_items_than_workers_is_refused_naming_the_workers(sources):
    shard_set = _write(sources, "segments", 1)  # 8 segments
    with pytest.raises(ValueError, match="8 segments, fewer than the 9 workers"):
        pipeline_share(shard_set, 9, 0)
    tfrecord = _write(sources, "segments", 3, fmt="tfrecord")
    with pytest.raises(ValueError, match="fewer than the 4 workers.*windowing.shard_mb"):
        pipeline_share(tfrecord, 4, 0)
