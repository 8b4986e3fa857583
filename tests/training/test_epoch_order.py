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


def test_keras_fit_on_arrays_under_a_global_seed_repeats_its_order():
    """Why ``reshuffle_each_epoch: false`` exists: Keras 3's ``fit`` on arrays, once
    ``keras.utils.set_random_seed`` has run (aeon's FCN always calls it), shuffles once and
    reads the same batches every epoch. If Keras changes this, the README's comparison
    with aeon must be measured again."""
    import keras
    import tensorflow as tf

    seen = []

    class Record(keras.layers.Layer):
        def call(self, x):
            tf.py_function(lambda v: seen.append(v.numpy()[:, 0].tolist()), [x], [])
            return x

    keras.utils.set_random_seed(1)
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(Record()(inputs)))
    model.compile("sgd", "mse", run_eagerly=True)
    x = np.arange(20, dtype="float32")[:, None]
    model.fit(x, np.zeros(20), batch_size=8, epochs=3, shuffle=True, verbose=0)
    epochs = [seen[i * 3 : (i + 1) * 3] for i in range(3)]  # 8 + 8 + 4 cases
    assert epochs[0] != [x[:8, 0].tolist(), x[8:16, 0].tolist(), x[16:, 0].tolist()]
    assert epochs[1] == epochs[0] and epochs[2] == epochs[0]
