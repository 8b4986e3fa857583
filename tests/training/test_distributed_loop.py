"""The distributed training loop in this process, on a MirroredStrategy of one device (the
CPU): the custom step, its accuracy, class weights, callbacks and settings, against the
``model.fit`` path (``distribution: none``) on the same data. Two devices and two workers:
test_distributed.py."""

import numpy as np
import pytest
from pydantic import ValidationError

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.distributed import start_strategy, tf_config_problem
from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config
from tests.training.sequences import case_sets, tiny_classifier

pytestmark = pytest.mark.usefixtures("fake_reader")


class EpochLogs:
    """Records what ``on_epoch_end`` gets (tuning's pruning callback reads val_loss)."""

    def __init__(self) -> None:
        self.seen = []

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None): ...

    def on_epoch_begin(self, epoch, logs=None): ...

    def on_train_batch_end(self, batch, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((epoch, dict(logs)))


def classify(tmp_path, distribution, callbacks=(), **overrides):
    settings = config(
        tmp_path / distribution,
        **overrides,
        batch_size=8,
        epochs=3,
        accumulation_steps=2,
        class_weight={"fast": 2.0},
        distribution=distribution,
    )
    sets = case_sets(tmp_path)
    model = tiny_classifier()
    return train(
        model, *sets, settings, seed=3, verbose=0, task="classification", extra_callbacks=callbacks
    )


def test_the_custom_step_trains_a_classifier_as_fit_does(tmp_path):
    callback = EpochLogs()
    fitted, fit_history = classify(tmp_path, "none")
    board = tmp_path / "tensorboard"
    stepped, history = classify(tmp_path, "mirrored", [callback], tensorboard_dir=str(board))
    for a, b in zip(stepped.get_weights(), fitted.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], fit_history[key], rtol=1e-5)
    assert history["optimizer_updates"] == fit_history["optimizer_updates"]
    assert [epoch for epoch, _ in callback.seen] == [0, 1, 2]
    assert callback.seen[-1][1]["val_loss"] == history["val_loss"][-1]
    # the epoch scalars for TensorBoard, as Keras's callback lays them out
    for part in ("train", "validation"):
        assert list(board.glob(f"*/{part}/events.out.tfevents.*"))


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"distribution": "parallel"}, "distribution"),
        ({"distribution": "multi_worker", "mirrored_devices": ["/cpu:0"]}, "mirrored_devices"),
        ({"distribution": "mirrored", "tbptt": {"enabled": True}}, "tbptt"),
    ],
)
def test_bad_distribution_settings_are_refused_naming_the_parameter(settings, named):
    with pytest.raises(ValidationError, match=named):
        TrainingConfig(**settings)


@pytest.mark.parametrize(
    ("tf_config", "problem"),
    [
        (None, "not set"),
        ("{not json", "must be JSON"),
        ('{"cluster": {"worker": ["a:1"]}}', "must be JSON"),
        (
            '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
            "index 2",
        ),
    ],
)
def test_a_tf_config_that_cannot_work_is_explained(monkeypatch, tf_config, problem):
    assert problem in tf_config_problem(tf_config)
    monkeypatch.setenv("TF_CONFIG", tf_config or "")
    with pytest.raises(SettingsError, match=f"training.distribution = 'multi_worker': .*{problem}"):
        start_strategy(TrainingConfig(distribution="multi_worker"))


def test_a_usable_tf_config_passes():
    two = '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}'
    assert tf_config_problem(two) is None


def test_every_worker_gets_the_steps_of_the_smallest_share(tmp_path):
    import tensorflow as tf

    from lstm_pipeline.errors import WindowingError
    from lstm_pipeline.trainer.feeds import WindowFeed
    from lstm_pipeline.windows.reader import ShardSet, make_dataset
    from tests.training.test_distributed import write_shards

    write_shards(tmp_path)
    train_set, val_set = ShardSet(tmp_path / "train_shards"), ShardSet(tmp_path / "val_shards")
    settings = config(tmp_path, batch_size=32, distribution="multi_worker")
    feed = WindowFeed(train_set, val_set, settings, seed=1, pipelines=2)
    batches_per_worker = [
        sum(
            1
            for _ in make_dataset(
                train_set,
                32,
                input_context=tf.distribute.InputContext(2, i, 2),
                shuffle=False,
                drop_remainder=True,
            )
        )
        for i in range(2)
    ]
    assert batches_per_worker[0] != batches_per_worker[1]  # 3 shard files: uneven shares
    assert feed.steps_per_epoch == min(batches_per_worker)
    with pytest.raises(WindowingError, match="fewer than the 4 workers.*windowing.shard_mb"):
        WindowFeed(train_set, val_set, settings, seed=1, pipelines=4)


def test_workers_reading_ranges_of_one_hdf5_file_get_the_steps_of_the_smallest_share(tmp_path):
    import tensorflow as tf

    from lstm_pipeline.trainer.feeds import WindowFeed
    from lstm_pipeline.windows.reader import ShardSet, make_dataset
    from tests.training.test_distributed import write_shards

    write_shards(tmp_path, "hdf5", shard_mb=1.0)  # one train file, 5 segments
    train_set, val_set = ShardSet(tmp_path / "train_shards"), ShardSet(tmp_path / "val_shards")
    assert len(train_set.manifest.shards) == 1
    settings = config(tmp_path, batch_size=24, distribution="multi_worker")
    for workers in (2, 3):
        feed = WindowFeed(train_set, val_set, settings, seed=1, pipelines=workers)
        batches_per_worker = [
            sum(
                1
                for _ in make_dataset(
                    train_set,
                    24,
                    input_context=tf.distribute.InputContext(workers, i, workers),
                    shuffle=False,
                    drop_remainder=True,
                )
            )
            for i in range(workers)
        ]
        assert min(batches_per_worker) > 0
        assert feed.steps_per_epoch == min(batches_per_worker)
