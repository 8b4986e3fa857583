"""The order of training batches over epochs, for shuffled windows and labelled sequences:
each epoch in its own seeded order, or (``reshuffle_each_epoch: false``) every epoch in
epoch 0's. Either way one ``epochs_dataset`` over several epochs reads, epoch by epoch,
exactly what a run resumed at that epoch's start reads (``train_dataset``)."""

import numpy as np
import pytest

from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.feeds import SequenceFeed, WindowFeed
from lstm_pipeline.windows.reader import ShardSet
from tests.training.sequences import toy_cases, write_case_shards


@pytest.fixture(scope="module")
def case_shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("order_cases")
    write_case_shards(*toy_cases(30, seed=0), root / "train")
    write_case_shards(*toy_cases(8, seed=1), root / "val")
    return root / "train", root / "val"


def inputs(batch) -> np.ndarray:
    x = batch[0]
    return (x["values"] if isinstance(x, dict) else x).numpy()


def feed_of(kind: str, shards, case_shards, reshuffle: bool):
    feed_class, (train, val) = {
        "windows": (WindowFeed, shards),
        "sequences": (SequenceFeed, case_shards),
    }[kind]
    setup = TrainingConfig(batch_size=8, reshuffle_each_epoch=reshuffle, max_steps_per_epoch=4)
    return feed_class(ShardSet(train), ShardSet(val), setup, seed=3)


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("reshuffle", [True, False])
@pytest.mark.parametrize("kind", ["windows", "sequences"])
def test_each_epoch_reads_its_own_order_or_epoch_zeros(kind, reshuffle, shards, case_shards):
    feed = feed_of(kind, shards, case_shards, reshuffle)
    steps = feed.steps_per_epoch
    batches = [inputs(b) for b in feed.epochs_dataset(0, 3)]
    epochs = [batches[i * steps : (i + 1) * steps] for i in range(3)]
    assert len(batches) == 3 * steps
    for epoch, read in enumerate(epochs):
        resumed = [inputs(b) for b in feed.train_dataset(epoch, skip=0)]
        assert same(read, resumed), epoch
    assert same(epochs[1], epochs[0]) is not reshuffle
    assert same(epochs[2], epochs[0]) is not reshuffle
