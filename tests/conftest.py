"""Shared fixtures: the real 14-day slice and a throw-away copy of the Kedro project."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SLICE = REPO / "tests" / "data" / "household_power_14days.csv.xz"


@pytest.fixture(scope="session")
def slice_path() -> Path:
    return SLICE


@pytest.fixture(scope="session")
def slice_text() -> str:
    import lzma

    return lzma.decompress(SLICE.read_bytes()).decode()


def new_project(folder: Path) -> Path:
    """A copy of the project's conf and metadata whose data/ holds only the 14-day slice."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO / name, folder / name)
    shutil.copytree(REPO / "conf", folder / "conf", ignore=shutil.ignore_patterns("local"))
    (folder / "conf" / "local").mkdir()
    (folder / "src").mkdir()  # Kedro wants a source folder; the package itself is installed
    raw = folder / "data" / "01_raw" / "household_power"
    raw.mkdir(parents=True)
    shutil.copy(SLICE, raw / SLICE.name)
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


# A run small enough for tests: windows of 24 hours in, 6 out; an LSTM of 4 units, 2 epochs.
SMALL_WINDOWS = "windowing.input_length=24,windowing.horizon=6"
TINY_TRAINING = (
    f"{SMALL_WINDOWS},modelling.recurrent.units=[4],training.epochs=2,training.batch_size=16,"
    "training.checkpoint_every_steps=5"
)
TINY = {
    "windowing": {"input_length": 24, "horizon": 6},
    "modelling": {"recurrent": {"units": [4]}},
    "training": {"epochs": 2, "batch_size": 16, "checkpoint_every_steps": 5},
}


def run_in_process(
    project_dir: Path, *pipelines: str, params: dict | None = None, env=None, hooks=()
):
    """`kedro run` in this process (no interpreter or TensorFlow start-up): the pipelines
    given (all when none), from the project folder, as the CLI would; ``hooks`` are extra
    Kedro hook objects for this run only."""
    from contextlib import chdir

    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project_dir)
    with (
        chdir(project_dir),
        KedroSession.create(
            project_path=project_dir, runtime_params=params or {}, env=env
        ) as session,
    ):
        for hook in hooks:
            session._hook_manager.register(hook)
        try:
            return session.run(pipeline_names=list(pipelines) or None)
        finally:
            for hook in hooks:
                session._hook_manager.unregister(hook)


UCR = REPO / "data" / "01_raw" / "ucr"
# a tiny classification run: ItalyPowerDemand (67 train cases of 24 steps), a few epochs
UCR_TINY = {
    "ucr": {"dataset": "ItalyPowerDemand"},
    "training": {"epochs": 2, "batch_size": 16, "checkpoint_every_steps": 5},
}


def new_classification_project(folder: Path, dataset: str = "ItalyPowerDemand") -> Path:
    """A project copy (as new_project) whose data/01_raw/ucr holds the one UCR set."""
    new_project(folder)
    shutil.copytree(UCR / dataset, folder / "data" / "01_raw" / "ucr" / dataset)
    return folder


@pytest.fixture(scope="session")
def finished_classification_project(tmp_path_factory) -> Path:
    """A project on which `kedro run -e ucr` (tiny settings, ItalyPowerDemand) finished once.
    Read-only: tests that change it work on a copy (copy_project)."""
    folder = new_classification_project(tmp_path_factory.mktemp("ucr") / "project")
    run_in_process(folder, params=UCR_TINY, env="ucr")
    return folder


@pytest.fixture(scope="session")
def finished_project(tmp_path_factory) -> Path:
    """A project on which the whole default run (tiny settings) finished once. Read-only:
    tests that change it work on a copy (copy_project)."""
    folder = new_project(tmp_path_factory.mktemp("finished") / "project")
    run_in_process(folder, params=TINY)
    return folder


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def split(tmp_path_factory):
    """A synthetic normalised split of 2,000 hourly rows x (a, b, y), as a Parquet file."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=2000, freq="1h", name="timestamp")
    frame = pd.DataFrame(
        rng.normal(size=(2000, 3)).astype(np.float32), index=index, columns=["a", "b", "y"]
    )
    path = tmp_path_factory.mktemp("split") / "train_series.parquet"
    frame.to_parquet(path)
    return path, frame


def run_kedro(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`kedro run ARGS` in ``project_dir``, in a child process, output captured."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "kedro", "run", *args],
        check=False,
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
