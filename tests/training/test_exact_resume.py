"""A run stopped right after ANY of its checkpoints, resumed with a fresh model object from
the checkpoint folder, ends bit-identical to the run never interrupted: weights and history.

Per configuration (float32 / mixed_float16 x accumulation 1 / 4) one uninterrupted run copies
its checkpoint folder right after every checkpoint is written (exactly what a process killed
at that moment leaves on disk); each copy is then resumed. The shapes are chosen so that
checkpoints fall on an epoch's last micro-batch (nothing left to train in that epoch) and,
with accumulation, epochs end between the micro-batches of an update (accumulators in the
checkpoint). One real SIGKILL per configuration checks the same with a killed process.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

from lstm_pipeline.trainer.loop import train
from tests.conftest import REPO
from tests.training.conftest import config, tiny_model
from tests.training.helpers import assert_same_weights, same_history, snapshot_every_checkpoint

# 6 micro-batches per epoch. Accumulation 1, a checkpoint every 2 updates: updates 2, 4, 6
# (the epoch's last micro-batch), epoch 1, 8, 10, 12, final. Accumulation 4, a checkpoint
# every update: updates 1, epoch 1 (half an update accumulated), 2, 3 (the last micro-batch
# of epoch 2), epoch 2, 4, final (epoch 3 ends half-way through an update too).
SETTINGS = {
    1: {"epochs": 2, "checkpoint_every_steps": 2},
    4: {"epochs": 3, "checkpoint_every_steps": 1},
}
KILL_AFTER = {1: "step-00000006", 4: "step-00000003"}  # an epoch's last micro-batch
CONFIGURATIONS = [
    ("float32", 1),
    ("float32", 4),
    ("mixed_float16", 1),
    ("mixed_float16", 4),
]


def settings(folder, precision, accumulation):
    return config(
        folder,
        **SETTINGS[accumulation],
        accumulation_steps=accumulation,
        precision=precision,
        max_steps_per_epoch=6,
        schedule="cosine",
        early_stopping_patience=5,  # best weights saved, restored at the end
    )


def run(shards, folder, precision, accumulation):
    model = tiny_model(precision, dropout=0.2)
    return train(model, *shards, settings(folder, precision, accumulation), seed=3, verbose=0)


@pytest.fixture(scope="module", params=CONFIGURATIONS, ids=lambda c: f"{c[0]}-acc{c[1]}")
def reference(request, shards, tmp_path_factory):
    """The uninterrupted run of one configuration, and its folder after every checkpoint."""
    precision, accumulation = request.param
    root = tmp_path_factory.mktemp(f"{precision}-{accumulation}")
    (root / "snapshots").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        snapshots = snapshot_every_checkpoint(patch, root / "snapshots")
        model, history = run(shards, root / "whole", precision, accumulation)
    return precision, accumulation, model, history, snapshots


def test_resumed_after_every_checkpoint_equals_the_uninterrupted_run(shards, reference):
    precision, accumulation, whole, whole_history, snapshots = reference
    tags = [s.name.split("-", 1)[1] for s in snapshots]
    assert KILL_AFTER[accumulation] in tags and tags[-1] == "final"
    for snapshot in snapshots[:-1]:  # after the final one there is nothing to resume
        state = json.loads((snapshot / "checkpoints/state.json").read_text())
        assert not state["finished"]
        resumed, history = run(shards, snapshot, precision, accumulation)
        assert same_history(history, whole_history), snapshot.name
        assert_same_weights(whole, resumed)


CHILD = """
import sys, time
from pathlib import Path
from lstm_pipeline.trainer.checkpoints import CheckpointStore
from tests.training.test_exact_resume import run
shards, folder, precision, accumulation, kill_after = sys.argv[1:]
save = CheckpointStore.save
def save_then_wait(self, model, state, tag, **kwargs):
    save(self, model, state, tag, **kwargs)
    if tag == kill_after:
        print("checkpoint", tag, flush=True)
        time.sleep(600)  # killed here
CheckpointStore.save = save_then_wait
shards = Path(shards)
run((shards / "train_shards", shards / "val_shards"), Path(folder), precision, int(accumulation))
"""


def test_a_process_killed_right_after_a_checkpoint_resumes_exactly(shards, reference, tmp_path):
    precision, accumulation, whole, whole_history, _ = reference
    kill_after = KILL_AFTER[accumulation]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(shards[0].parent), str(tmp_path), precision]
        + [str(accumulation), kill_after],
        cwd=REPO,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout.readline().split() == ["checkpoint", kill_after]
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    assert state["model_file"].endswith(f"{kill_after}.keras") and not state["finished"]

    resumed, history = run(shards, tmp_path, precision, accumulation)  # the OS freed the lock
    assert same_history(history, whole_history)
    assert_same_weights(whole, resumed)
