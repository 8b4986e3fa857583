"""Test stand-ins: an interrupted run, and a checkpoint folder copied after every save."""

import shutil
from pathlib import Path

import keras
import numpy as np

from lstm_pipeline.trainer.checkpoints import CheckpointStore
from lstm_pipeline.trainer.optimizers import updates_done


class StopAfterUpdates(keras.callbacks.Callback):
    """Raises after ``updates`` optimizer updates: a stand-in for a killed process."""

    def __init__(self, updates: int) -> None:
        super().__init__()
        self.updates = updates

    def on_train_batch_end(self, batch, logs=None):
        if updates_done(self.model.optimizer) >= self.updates:
            raise KeyboardInterrupt(f"stopped after {self.updates} updates")


def snapshot_every_checkpoint(monkeypatch, snapshots: Path) -> list[Path]:
    """Copy the checkpoint folder right after each checkpoint is written: exactly what a
    process killed at that moment leaves on disk. Returns the (growing) list of the folders
    holding each copy under the checkpoint folder's own name."""
    taken: list[Path] = []
    save = CheckpointStore.save

    def save_and_copy(self, model, state, tag, **kwargs):
        save(self, model, state, tag, **kwargs)
        copy = snapshots / f"{len(taken) + 1:02d}-{tag}"
        shutil.copytree(self.folder, copy / self.folder.name)
        taken.append(copy)

    monkeypatch.setattr(CheckpointStore, "save", save_and_copy)
    return taken


def assert_same_weights(a, b) -> None:
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def same_history(a: dict, b: dict) -> bool:
    """Histories equal in everything but throughput (a measurement of the machine)."""
    return {k: v for k, v in a.items() if k != "samples_per_s"} == {
        k: v for k, v in b.items() if k != "samples_per_s"
    }
