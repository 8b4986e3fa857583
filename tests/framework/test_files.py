"""Atomic replacement of files and folders, recovery of what a killed write left, locks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstm_pipeline.errors import LockHeldError
from lstm_pipeline.files import (
    atomic_target,
    exclusive_lock,
    leftovers,
    recover,
    sweep,
    write_atomically,
)


def dead_pid() -> int:
    """The pid of a process that has already ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")

    def half_then_fail(temporary):
        Path(temporary).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "old"
    assert leftovers(target) == []
    write_atomically(target, lambda temporary: Path(temporary).write_text("new"))
    assert target.read_text() == "new"


def test_the_temporary_keeps_every_suffix(tmp_path):
    seen = []
    write_atomically(tmp_path / "best.weights.h5", lambda t: seen.append(t) or Path(t).touch())
    assert seen[0].endswith(".weights.h5") and Path(seen[0]).name.startswith(".best.weights.h5.")


def test_a_folder_is_swapped_whole(tmp_path):
    target = tmp_path / "train_shards"
    target.mkdir()
    (target / "a").write_text("old")
    with atomic_target(target) as temporary:
        temporary.mkdir()
        (temporary / "b").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["b"]
    assert leftovers(target) == []


def test_a_swap_killed_between_its_two_renames_is_put_back(tmp_path):
    target = tmp_path / "train_shards"
    pid = dead_pid()
    retired = tmp_path / f".train_shards.old-{pid}-0123abcd"
    retired.mkdir()
    (retired / "manifest.json").write_text("old")
    half_new = tmp_path / f".train_shards.tmp-{pid}-89abcdef"
    half_new.mkdir()
    assert recover(target) == [retired, half_new]
    assert (target / "manifest.json").read_text() == "old"
    assert leftovers(target) == []


def test_temporaries_of_running_writers_are_left_alone(tmp_path):
    target = tmp_path / "metrics.json"
    mine = tmp_path / f".metrics.json.tmp-{os.getpid()}-0123abcd.json"
    mine.write_text("being written")
    gone = tmp_path / f".metrics.json.tmp-{dead_pid()}-0123abcd.json"
    gone.write_text("left by a killed run")
    unrelated = tmp_path / ".metrics.json.lock"
    unrelated.write_text("")
    assert recover(target) == [gone]
    assert mine.exists() and unrelated.exists() and not gone.exists()


HOLD = """
import sys, time
from lstm_pipeline.files import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path):
    target = tmp_path / "checkpoints"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(LockHeldError, match=rf"pid {holder.pid}"), exclusive_lock(target):
            pass
        assert time.monotonic() - started < 1
    finally:
        holder.kill()
        holder.wait()
    with exclusive_lock(target):  # the dead holder's lock is gone with it
        pass


def test_a_sweep_clears_every_leftover_of_dead_writers_in_a_folder(tmp_path):
    """Checkpoint names change from run to run, so no later write of the same name would
    clear a killed write's temporary: the folder is swept when a run takes it."""
    pid = dead_pid()
    gone = [
        tmp_path / f".step-00000200.keras.tmp-{pid}-0123abcd.keras",
        tmp_path / f".best-epoch-0001.weights.h5.tmp-{pid}-89abcdef.weights.h5",
        tmp_path / f".state.json.tmp-{pid}-00aa11bb.json",
    ]
    running = tmp_path / f".state.json.tmp-{os.getpid()}-22cc33dd.json"
    for path in [*gone, running]:
        path.write_text("half")
    (tmp_path / "state.json").write_text("{}")
    assert sorted(sweep(tmp_path)) == sorted(gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "state.json"]
