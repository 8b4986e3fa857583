"""The packaged project (`kedro package`: a wheel and a conf tarball), installed in a
virtual environment of its own (.venv-airflow, where make/airflow.mk installs the wheel with
all its dependencies), runs from another folder with the packaged configuration, through the
`lstm-pipeline` console command and `python -m lstm_pipeline`."""

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO, SLICE, TINY_TRAINING
from tests.test_airflow import airflow_env  # noqa: F401 - the fixture: .venv-airflow/bin

pytestmark = pytest.mark.slow
CONF_TARBALL = REPO / "dist" / "conf-lstm_pipeline.tar.gz"


def run(command: list[str], folder) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "COLUMNS": "200"}
    env.pop("PYTHONPATH", None)  # the installed wheel, never the checkout's src/
    return subprocess.run(command, check=False, cwd=folder, env=env, capture_output=True, text=True)


@pytest.fixture
def elsewhere(tmp_path):
    """A folder outside the checkout holding only the raw data the default conf reads."""
    raw = tmp_path / "data" / "01_raw" / "household_power"
    raw.mkdir(parents=True)
    shutil.copy(SLICE, raw / SLICE.name)
    return tmp_path


def test_the_installed_wheel_runs_from_another_folder_with_the_packaged_conf(
    airflow_env,  # noqa: F811
    elsewhere,
):
    python = airflow_env / "python"
    where = run([str(python), "-c", "import lstm_pipeline; print(lstm_pipeline.__file__)"], "/")
    assert "site-packages" in where.stdout, where.stdout + where.stderr
    conf = f"--conf-source={CONF_TARBALL}"
    done = run(
        [str(airflow_env / "lstm-pipeline"), "run", conf, "--params", TINY_TRAINING], elsewhere
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = json.loads((elsewhere / "data" / "08_reporting" / "metrics.json").read_text())
    assert metrics["windows"] > 0 and metrics["model"]["overall"]["mae"] > 0
    again = run([str(python), "-m", "lstm_pipeline", conf, "--pipeline=ingestion"], elsewhere)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert not (elsewhere / "conf").exists()  # everything came from the tarball
