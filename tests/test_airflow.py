"""The project's DAGs under Airflow 3, in the separate Airflow environment (.venv-airflow, built
by `make airflow-env`, which `make test` runs first: apache-airflow and kedro-airflow under
airflow/constraints-*.txt, with this project's wheel from `kedro package`).

The DAGs come from airflow/dag_template.j2 through `kedro airflow create`. The default DAG of
the airflow_test environment runs whole under `airflow dags test`, with a conf tarball as
`kedro package` makes it, from a project folder that holds only its input file; every task
must succeed and its test metrics must equal those of `kedro run` with the same settings
(the session's finished_project: conf/airflow_test sets exactly conftest.TINY).
"""

import json
import os
import sqlite3
import subprocess
import tarfile
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, SLICE, TINY

pytestmark = pytest.mark.slow

AIRFLOW_VENV = REPO / ".venv-airflow"
AIRFLOW_STAMP = AIRFLOW_VENV / ".installed"  # make/airflow.mk touches it when all is installed
TEMPLATE = REPO / "airflow" / "dag_template.j2"
ENV = "airflow_test"
DEFAULT_DAG_ID = f"lstm_pipeline__{ENV}__default"
PREDICTION_DAG_ID = f"lstm_pipeline__{ENV}__prediction"

# Run in the Airflow environment: the DAG files parsed the way the scheduler parses them.
PARSE_DAGS = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dags = {
    dag_id: {
        "file": dag.fileloc.rsplit("/", 1)[-1],
        "schedule": dag.schedule,
        "retries": dag.default_args["retries"],
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "tasks": len(dag.task_ids),
    }
    for dag_id, dag in bag.dags.items()
}
json.dump({"errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": dags},
          open(sys.argv[2], "w"))
"""


def stale_modules() -> list[str]:
    """The project's modules whose copy in .venv-airflow differs from src/ (or is missing)."""
    installed = next(AIRFLOW_VENV.glob("lib/python3*/site-packages/lstm_pipeline"), None)
    source = REPO / "src" / "lstm_pipeline"
    return [
        str(path.relative_to(source))
        for path in sorted(source.rglob("*.py"))
        if installed is None
        or not (installed / path.relative_to(source)).is_file()
        or (installed / path.relative_to(source)).read_bytes() != path.read_bytes()
    ]


@pytest.fixture(scope="module")
def airflow_env() -> Path:
    """.venv-airflow/bin; skipped where it was never built, except in CI, where it must be."""
    if not AIRFLOW_STAMP.is_file():
        message = f"no Airflow environment at {AIRFLOW_VENV}: run `make airflow-env`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    stale = stale_modules()
    assert not stale, (
        f"the lstm_pipeline wheel in {AIRFLOW_VENV} is older than src/ ({', '.join(stale[:5])}"
        f"{' ...' if len(stale) > 5 else ''}): run `make airflow-env`"
    )
    return AIRFLOW_VENV / "bin"


def run(command: list, cwd: Path, environment: dict, timeout: int = 240) -> str:
    """Run ``command`` to its end; its output on success, a failure showing its tail otherwise."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{output[-6000:]}"
    return output


def airflow_environment(home: Path, dags: Path) -> dict:
    """Variables for the Airflow CLI: its own home, metadata DB and DAG folder; no examples."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **environment,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "KEDRO_DISABLE_TELEMETRY": "1",
    }


def create_dags(bin_dir: Path, env: str, dags: Path, environment: dict, *options: str) -> None:
    """`kedro airflow create` with the project's template, run from the repository."""
    command = [bin_dir / "kedro", "airflow", "create", "--env", env, "--jinja-file", TEMPLATE]
    run([*command, "--target-dir", dags, *options], REPO, environment)


def packaged_conf(target: Path) -> Path:
    """conf/ as a tarball, as `kedro package` writes it (local/*.yml left out)."""
    tarball = target / "conf-lstm_pipeline.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(
            REPO / "conf",
            arcname="conf",
            filter=lambda member: (
                None
                if member.name.startswith("conf/local/") and member.name.endswith(".yml")
                else member
            ),
        )
    return tarball


def registered_pipelines() -> set[str]:
    from kedro.framework.project import configure_project, pipelines

    configure_project("lstm_pipeline")
    return set(pipelines)


def node_names(pipeline_name: str) -> set[str]:
    from kedro.framework.project import configure_project, pipelines

    configure_project("lstm_pipeline")
    return {node.name for node in pipelines[pipeline_name].nodes}


def metrics_without_lineage(path: Path) -> dict:
    """metrics.json less its lineage block (run ids and times, different in every run)."""
    metrics = json.loads(path.read_text())
    metrics.pop("lineage", None)
    return metrics


def test_each_pipeline_and_environment_gets_its_own_dag(airflow_env, tmp_path):
    dags = tmp_path / "dags"
    environment = airflow_environment(tmp_path / "home", dags)
    for env in ("local", ENV):
        create_dags(airflow_env, env, dags, environment, "--all")
    parsed_file = tmp_path / "dags.json"
    run([airflow_env / "python", "-c", PARSE_DAGS, dags, parsed_file], tmp_path, environment)
    parsed = json.loads(parsed_file.read_text())

    assert parsed["errors"] == {}
    names = registered_pipelines()
    assert set(parsed["dags"]) == {
        f"lstm_pipeline__{env}__{'default' if name == '__default__' else name}"
        for env in ("local", ENV)
        for name in names
    }
    default = parsed["dags"][DEFAULT_DAG_ID]
    assert default["tasks"] == len(node_names("__default__"))  # one task per node
    assert (default["schedule"], default["retries"]) == ("@weekly", 2)
    assert (default["max_active_runs"], default["catchup"]) == (1, False)
    if "prediction" in names:
        assert parsed["dags"][f"lstm_pipeline__{ENV}__prediction"]["schedule"] == "@daily"


def test_default_dag_runs_every_node_like_kedro_run(airflow_env, finished_project, tmp_path):
    # The oracle is the session's finished_project: the same settings and the same input.
    parameters = yaml.safe_load((REPO / "conf" / ENV / "parameters.yml").read_text())
    assert parameters == TINY, f"conf/{ENV}/parameters.yml must hold conftest.TINY"
    catalog = yaml.safe_load((REPO / "conf" / ENV / "catalog.yml").read_text())
    assert REPO / catalog["raw_files"]["path"] == SLICE
    # The project folder holds nothing but the input: code from the wheel, conf from the tarball.
    project = tmp_path / "project"
    (project / SLICE.parent.relative_to(REPO)).mkdir(parents=True)
    (project / SLICE.relative_to(REPO)).write_bytes(SLICE.read_bytes())
    home, dags = tmp_path / "home", tmp_path / "dags"
    environment = airflow_environment(home, dags)
    # retries=0: a failing task fails the run now, not after Airflow's retry delay
    settings = f"project_path={project},retries=0"
    options = ("--conf-source", packaged_conf(tmp_path), "--params", settings)
    create_dags(airflow_env, ENV, dags, environment, "--pipelines", "__default__", *options)
    # Run from another folder: the DAG must find the project itself, and write nothing here
    # (parameters such as training.checkpoint_dir are paths relative to the project folder).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run([airflow_env / "airflow", "db", "migrate"], elsewhere, environment)
    run([airflow_env / "airflow", "dags", "test", DEFAULT_DAG_ID], elsewhere, environment)
    assert sorted(path.name for path in elsewhere.iterdir()) == []

    with closing(sqlite3.connect(home / "airflow.db")) as database:
        run_states = database.execute(
            "SELECT state FROM dag_run WHERE dag_id = ?", (DEFAULT_DAG_ID,)
        ).fetchall()
        task_states = dict(
            database.execute(
                "SELECT task_id, state FROM task_instance WHERE dag_id = ?", (DEFAULT_DAG_ID,)
            ).fetchall()
        )
    assert run_states == [("success",)]
    assert {task.replace("-", "_") for task in task_states} == node_names("__default__")
    assert {task: s for task, s in task_states.items() if s != "success"} == {}
    reporting = "08_reporting/metrics.json"
    assert metrics_without_lineage(project / "data" / ENV / reporting) == metrics_without_lineage(
        finished_project / "data" / reporting
    )
    # then the daily prediction DAG on the trained model: forecasts past the end of the data
    create_dags(airflow_env, ENV, dags, environment, "--pipelines", "prediction", *options)
    run([airflow_env / "airflow", "dags", "test", PREDICTION_DAG_ID], elsewhere, environment)
    forecasts = pd.read_parquet(project / "data" / ENV / "07_model_output/new_predictions.parquet")
    assert len(forecasts) == TINY["windowing"]["horizon"] and forecasts["predicted"].notna().all()
    assert_one_mlflow_run_per_dag_run(project, project / "data" / ENV / reporting)


def assert_one_mlflow_run_per_dag_run(project: Path, metrics_file: Path) -> None:
    """Each DAG run's tasks (separate processes) logged into one MLflow run of the project's
    store; the full run's test metrics are metrics.json's."""
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("lstm-pipeline")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.tags.get("airflow.dag_id") for r in runs) == [
        DEFAULT_DAG_ID,
        PREDICTION_DAG_ID,
    ]
    full = next(r for r in runs if r.data.tags["airflow.dag_id"] == DEFAULT_DAG_ID)
    metrics = json.loads(metrics_file.read_text())
    logged = full.data.metrics["test.model.overall.mae"]
    assert logged == pytest.approx(metrics["model"]["overall"]["mae"], rel=1e-12)
    assert full.info.status == "FINISHED"
