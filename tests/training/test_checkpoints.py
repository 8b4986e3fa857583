"""Checkpoints that cannot be used wrongly: one run per folder, files confined to it."""

import json
import os
import subprocess
import sys

import pytest

from lstm_pipeline.errors import CheckpointError, LockHeldError
from lstm_pipeline.trainer.checkpoints import STATE_FORMAT, CheckpointStore
from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config, tiny_model
from tests.training.helpers import StopAfterUpdates

HOLD_LOCK = """
import sys, time
from lstm_pipeline.files import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_second_run_into_the_same_folder_fails_at_once_naming_the_holder(shards, tmp_path):
    settings = config(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, settings.checkpoint_dir],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(LockHeldError, match=rf"pid {holder.pid}\b"):
            train(tiny_model(), *shards, settings, verbose=0)
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "checkpoints").exists() or not any(
        (tmp_path / "checkpoints").iterdir()
    )  # nothing was trained or written


def write_state(folder, **fields):
    folder.mkdir(parents=True, exist_ok=True)
    state = {"fingerprint": "0123456789abcdef", "format": STATE_FORMAT, **fields}
    (folder / "state.json").write_text(json.dumps(state))


@pytest.mark.parametrize("field", ["model_file", "best_weights_file"])
@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../outside.keras", "sub/x.keras", "a\\b.keras", "..", ".", "", 7]
)
def test_a_state_naming_a_file_outside_the_folder_is_refused(tmp_path, field, name):
    write_state(tmp_path / "checkpoints", **{field: name})
    with pytest.raises(CheckpointError, match=rf"{field} = .*plain file names"):
        CheckpointStore(tmp_path / "checkpoints").read_state()


def test_a_state_of_an_older_version_is_not_resumed(tmp_path):
    write_state(tmp_path, format=1, model_file="step-00000004.keras")
    assert CheckpointStore(tmp_path).read_state() is None


def files_with_times(root) -> dict:
    """Every file under ``root`` but the lock file (which holds the pid of its last holder)."""
    return {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_nothing_outside_the_folder_is_loaded_or_deleted(shards, tmp_path):
    settings = config(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), *shards, settings, extra_callbacks=[StopAfterUpdates(5)], verbose=0)
    folder = tmp_path / "checkpoints"
    state = json.loads((folder / "state.json").read_text())
    outside = tmp_path / "outside.keras"
    outside.write_bytes((folder / state["model_file"]).read_bytes())
    for pointer in ("../outside.keras", str(outside)):
        (folder / "state.json").write_text(json.dumps({**state, "model_file": pointer}))
        before = files_with_times(tmp_path)
        with pytest.raises(CheckpointError, match="plain file names"):
            train(tiny_model(), *shards, settings, verbose=0)
        assert files_with_times(tmp_path) == before
    assert os.path.isfile(outside)
