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
