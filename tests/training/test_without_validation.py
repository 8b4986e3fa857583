"""Forecasting with the validation split turned off (normalisation.split.val 0): an empty
validation shard folder, the training loss monitored for early stopping, the plateau
schedule and the best weights, with shuffled windows and with truncated BPTT."""

import json

import numpy as np
import pytest

from lstm_pipeline.errors import WindowingError
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.windows.reader import ShardSet
from tests.training.conftest import config, sine_frame, tiny_model, write_split
from tests.training.test_tbptt import stateful_model, tbptt_config


@pytest.fixture(scope="module")
def no_val(tmp_path_factory, shards):
    folder = tmp_path_factory.mktemp("no_val") / "val_shards"
    write_split(sine_frame(0), folder, allow_empty=True)
    return shards[0], folder


def test_an_empty_validation_folder_holds_no_window_but_only_when_allowed(no_val, tmp_path):
    assert ShardSet(no_val[1]).windows_total == 0
    with pytest.raises(WindowingError, match="has 0 rows but not one complete window"):
        write_split(sine_frame(0), tmp_path / "val_shards")


def assert_loss_was_monitored(folder, history):
    assert "val_loss" not in history
    state = json.loads((folder / "checkpoints/state.json").read_text())
    assert state["best_val_loss"] == min(history["loss"])  # kept for the lowest loss
    assert "val_loss" not in state["stop_reason"]


def test_windows_train_on_their_own_loss_without_validation(no_val, tmp_path):
    settings = config(tmp_path, epochs=6, early_stopping_patience=2, schedule="reduce_on_plateau")
    model, history = train(tiny_model(), *no_val, settings, seed=3, verbose=0)
    assert len(history["loss"]) >= 3 and np.isfinite(history["loss"]).all()
    assert_loss_was_monitored(tmp_path, history)


def test_tbptt_trains_on_its_own_loss_without_validation(no_val, tmp_path):
    model, history = train(stateful_model(), *no_val, tbptt_config(tmp_path, epochs=2), verbose=0)
    assert len(history["loss"]) == 2
    assert "val_loss" not in history
