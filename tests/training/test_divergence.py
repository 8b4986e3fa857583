"""Divergence: reported (never a silent exit 0), the last good checkpoint kept, and the input
columns that look wrong named."""

import json

import keras
import pytest

from lstm_pipeline.errors import TrainingDivergedError
from lstm_pipeline.trainer.divergence import ColumnStatistics, column_statistics, has_diverged
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.trainer.optimizers import inner_optimizer, updates_done
from lstm_pipeline.windows.reader import ShardSet
from tests.training.conftest import config, sine_frame, tiny_model, write_split
from tests.training.helpers import assert_same_weights, same_history

SHORT = {"max_steps_per_epoch": 6, "checkpoint_every_steps": 2}


def run(shards, settings, extra=()):
    return train(tiny_model(), *shards, settings, seed=3, extra_callbacks=extra, verbose=0)


def folder_contents(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_an_exploding_learning_rate_is_reported_and_the_previous_run_kept(shards, tmp_path):
    finished, _ = run(shards, config(tmp_path, **SHORT))
    before = folder_contents(tmp_path / "checkpoints")

    exploding = config(tmp_path, **SHORT, learning_rate=1e6, clip_norm=None)
    with pytest.raises(TrainingDivergedError) as raised:
        run(shards, exploding)
    message = str(raised.value)
    assert "times the first micro-batch's loss" in message or "became inf" in message
    assert "train shards look sane" in message and "learning_rate (now 1e+06)" in message
    assert "no good checkpoint; the previous run's are untouched" in message
    assert folder_contents(tmp_path / "checkpoints") == before

    again, _ = run(shards, config(tmp_path, **SHORT))  # the earlier run is still there
    assert_same_weights(finished, again)


class ExplodeAfter(keras.callbacks.Callback):
    """From the update after ``updates``, a learning rate of 1e6."""

    def __init__(self, updates: int) -> None:
        super().__init__()
        self.updates = updates

    def on_train_batch_end(self, batch, logs=None):
        if updates_done(self.model.optimizer) == self.updates:
            inner_optimizer(self.model.optimizer).learning_rate.assign(1e6)


def test_a_run_diverging_right_after_a_checkpoint_goes_back_to_the_one_before(shards, tmp_path):
    settings = config(tmp_path, **SHORT, clip_norm=None)
    # update 4 explodes and is checkpointed; micro-batch 5's loss shows it
    with pytest.raises(TrainingDivergedError, match=r"micro-batch 5 .*last good checkpoint"):
        run(shards, settings, extra=[ExplodeAfter(3)])
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    assert state["model_file"].endswith("-step-00000002.keras") and state["updates"] == 2

    resumed, history = run(shards, settings)  # resumes from update 2, healthy
    whole, whole_history = run(shards, config(tmp_path / "whole", **SHORT, clip_norm=None))
    assert same_history(history, whole_history)
    assert_same_weights(whole, resumed)


def test_the_message_names_the_input_columns_that_look_wrong(tmp_path):
    frame = sine_frame(400)
    frame.iloc[100, 1] = 3e38  # finite, so windowing keeps it; its square overflows to inf
    write_split(frame, tmp_path / "train_shards")
    write_split(sine_frame(200, seed=1), tmp_path / "val_shards")
    shards = (tmp_path / "train_shards", tmp_path / "val_shards")
    with pytest.raises(TrainingDivergedError) as raised:
        run(shards, config(tmp_path, batch_size=16))
    message = str(raised.value)
    assert "training loss became inf" in message
    assert "'y' reaches |x| = 3e+38" in message and "'a'" not in message
    assert "wrote no checkpoint" in message or "holds no checkpoint" in message


def test_column_statistics_count_what_each_column_holds(tmp_path):
    frame = sine_frame(300)
    frame["a"] *= 1e5  # a scaler whose scale was far too small
    write_split(frame, tmp_path / "train_shards")
    stats = {s.column: s for s in column_statistics(ShardSet(tmp_path / "train_shards"))}
    assert set(stats) == {"a", "y"}
    assert stats["a"].largest_magnitude == pytest.approx(float(frame["a"].abs().max()))
    assert stats["a"].problem().startswith("'a' reaches |x| = ")
    assert stats["y"].problem() is None and stats["y"].non_finite == 0
    assert ColumnStatistics("b", 10, non_finite=2).problem() == (
        "'b' holds 2 NaN/infinite value(s)"
    )


def test_what_counts_as_diverged():
    assert has_diverged(float("nan"), 1.0) and has_diverged(float("inf"), None)
    assert has_diverged(2e6, 1.0) and not has_diverged(9e5, 1.0)
    assert not has_diverged(1e9, None)  # no reference yet: only non-finite counts
