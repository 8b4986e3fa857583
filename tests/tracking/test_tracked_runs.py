"""Kedro runs as MLflow runs: what a run logs, checked against the files the run wrote and
the configuration it ran with (read here by their own means), and the run an orchestrator's
task, a resumed training and a retrain log into."""

import json
import logging
import math

import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.hooks import hook_impl
from mlflow import MlflowClient

from lstm_pipeline import settings
from lstm_pipeline.trainer.callbacks import add_training_listener, remove_training_listener
from tests.conftest import TINY, UCR_TINY, copy_project, run_in_process

FIXTURES = {  # the session's finished runs and what they ran with
    "finished_project": (TINY, None),
    "finished_classification_project": (UCR_TINY, "ucr"),
}


def runs_of(project):
    client = MlflowClient(f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("lstm-pipeline")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
    return client, runs


def configured_params(project, runtime_params: dict, env: str | None) -> dict[str, str]:
    """The run's parameters read from its conf, flattened as documented: dotted paths,
    text as is, anything else as JSON."""
    loader = OmegaConfigLoader(
        str(project / "conf"),
        **{**settings.CONFIG_LOADER_ARGS, "default_run_env": env or "local"},
        runtime_params=runtime_params,
    )
    flat = {}

    def walk(value, path):
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        else:
            flat[path] = value if isinstance(value, str) else json.dumps(value)

    walk(loader["parameters"], "")
    return flat


def expected_test_metrics(report: dict) -> tuple[dict, dict]:
    """metrics.json's numbers under ``test.``: scalars, and lists of numbers by step."""
    scalars, series = {}, {}

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, bool | str):
            return
        elif isinstance(value, int | float) and math.isfinite(value):
            scalars[path] = value
        elif isinstance(value, list) and value and all(type(v) in (int, float) for v in value):
            series[path] = value

    walk(report, "test")
    return scalars, series


@pytest.mark.parametrize("fixture", FIXTURES)
def test_a_run_logs_the_params_it_ran_with_and_the_test_metrics_of_metrics_json(fixture, request):
    project = request.getfixturevalue(fixture)
    runtime_params, env = FIXTURES[fixture]
    client, runs = runs_of(project)
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params == configured_params(project, runtime_params, env)
    outputs = project / "data" / (f"ucr/{runtime_params['ucr']['dataset']}" if env else "")
    report = json.loads((outputs / "08_reporting" / "metrics.json").read_text())
    scalars, series = expected_test_metrics(report)
    logged = {k: v for k, v in run.data.metrics.items() if k.startswith("test.")}
    assert logged == {**scalars, **{key: values[-1] for key, values in series.items()}}
    for key, values in series.items():
        history = client.get_metric_history(run.info.run_id, key)
        assert [(m.step, m.value) for m in history] == list(enumerate(values, start=1))
    assert run.data.tags["lstm_pipeline.env"] == (env or "local")
    assert run.data.tags["lstm_pipeline.pipeline"] == "__default__"
    assert "git.commit" in run.data.tags


def test_a_run_logs_each_epoch_the_plots_report_and_model(finished_project):
    client, (run,) = runs_of(finished_project)
    data = finished_project / "data"
    history = json.loads((data / "08_reporting" / "training_history.json").read_text())
    for key in ("loss", "val_loss", "learning_rate"):
        logged = client.get_metric_history(run.info.run_id, key)
        assert [(m.step, m.value) for m in logged] == list(
            zip(history["history"]["epoch"], history["history"][key], strict=True)
        )
    top = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"report.md", "metrics.json", "training_history.json", "model"} <= top
    plots = {f.path for f in client.list_artifacts(run.info.run_id, "evaluation_plots")}
    on_disk = {f"evaluation_plots/{p.name}" for p in (data / "08_reporting" / "plots").iterdir()}
    assert plots == on_disk
    assert [f.path for f in client.list_artifacts(run.info.run_id, "model")] == [
        "model/model.keras"
    ]
    logs = data / "07_model_output" / "tensorboard"
    assert [p.name for p in logs.iterdir()] == [
        run.data.tags["lstm_pipeline.tensorboard_dir"].rpartition("/")[2]
    ]


class Warnings(logging.Handler):
    """Tracking's warnings, attached once Kedro has configured logging."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    @hook_impl
    def before_pipeline_run(self):
        logging.getLogger("lstm_pipeline.tracking").addHandler(self)

    @hook_impl
    def after_pipeline_run(self):
        logging.getLogger("lstm_pipeline.tracking").removeHandler(self)


def test_tracking_off_or_unwritable_never_stops_a_run(project):
    run_in_process(project, "ingestion", params={"tracking": {"enabled": False}})
    assert not (project / "mlruns").exists()
    (project / "mlruns").write_text("a file where the store's folder should be")
    warned = Warnings()
    run_in_process(project, "ingestion", hooks=[warned])
    assert (project / "data" / "02_intermediate" / "series.parquet").is_file()
    assert any("MLflow tracking is off" in m for m in warned.messages), warned.messages


def test_the_tasks_of_one_airflow_dag_run_log_into_one_run(project, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "lstm_pipeline__local__default")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "manual__2026-01-01T00:00:00+00:00")
    run_in_process(project, "ingestion")  # as two tasks would, each in its process
    run_in_process(project, "normalisation")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "scheduled__2026-01-02T00:00:00+00:00")
    run_in_process(project, "normalisation")
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID")
    run_in_process(project, "normalisation")  # alone: a run of its own
    _, runs = runs_of(project)
    dag_runs = [r.data.tags.get("airflow.dag_run_id") for r in runs]
    assert dag_runs == [
        "manual__2026-01-01T00:00:00+00:00",
        "scheduled__2026-01-02T00:00:00+00:00",
        None,
    ]
    assert all(r.info.status == "FINISHED" for r in runs)
    assert "normalisation.scaler" in runs[0].data.params


class StopAtEpoch:
    """A training listener that kills the run as epoch ``epoch`` ends (before its
    checkpoint), as a crash would."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def training_started(self, state, tensorboard_dir) -> None:
        pass

    def epoch_ended(self, state, record) -> None:
        if record["epoch"] == self.epoch:
            raise RuntimeError("killed")


def test_a_resumed_training_continues_its_run_and_a_retrain_is_a_new_one(
    finished_project, tmp_path
):
    project = copy_project(finished_project, tmp_path / "project")
    three_epochs = {**TINY, "training": {**TINY["training"], "epochs": 3}}
    stop = StopAtEpoch(2)
    add_training_listener(stop)
    try:
        with pytest.raises(RuntimeError, match="killed"):
            run_in_process(project, "training", params=three_epochs)
    finally:
        remove_training_listener(stop)
    client, (_, crashed) = runs_of(project)
    assert crashed.info.status == "FAILED"
    run_in_process(project, "training", params=three_epochs)
    retrain = {**three_epochs, "training": {**three_epochs["training"], "retrain": True}}
    run_in_process(project, "training", params=retrain)
    client, (_, resumed, retrained) = runs_of(project)
    assert resumed.info.run_id == crashed.info.run_id and resumed.info.status == "FINISHED"
    history = json.loads((project / "data/08_reporting/training_history.json").read_text())
    for run in (resumed, retrained):
        logged = client.get_metric_history(run.info.run_id, "loss")
        assert [m.step for m in logged] == [1, 2, 3]
    assert [m.value for m in client.get_metric_history(retrained.info.run_id, "loss")] == (
        history["history"]["loss"]
    )
    folders = [r.data.tags["lstm_pipeline.tensorboard_dir"] for r in (resumed, retrained)]
    logs = project / "data" / "07_model_output" / "tensorboard"
    assert len(list(logs.iterdir())) == 3 and folders[0] != folders[1]
    assert all((project / folder).is_dir() for folder in folders)
