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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's conf and metadata whose data/ holds only the 14-day slice."""
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf" / "local").mkdir()
    (tmp_path / "src").mkdir()  # Kedro wants a source folder; the package itself is installed
    raw = tmp_path / "data" / "01_raw" / "household_power"
    raw.mkdir(parents=True)
    shutil.copy(SLICE, raw / SLICE.name)
    return tmp_path


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
