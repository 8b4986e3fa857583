"""Which MLflow run a process logs into, and logging that never fails the run it tracks.
Against a real SQLite store in a temporary folder (MLflow's own client, no server)."""

import logging

import pytest
from mlflow import MlflowClient

from lstm_pipeline.tracking.runs import (
    FINGERPRINT_TAG,
    KEY_TAG,
    PARENT_TAG,
    RunRequest,
    Tracker,
    project_store,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One migrated store for the module (creating one costs a second or more)."""
    return project_store(tmp_path_factory.mktemp("project"))


def open_run(store, **request):
    uri, artifacts = store
    defaults = {"experiment": "tests", "run_name": "a run"}
    return Tracker.open(uri, RunRequest(**(defaults | request)), artifacts)


def test_the_project_store_is_sqlite_inside_the_project(tmp_path):
    uri, artifacts = project_store(tmp_path)
    assert uri == f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    assert artifacts == (tmp_path / "mlruns" / "artifacts").as_uri()


def test_a_run_holds_what_was_logged(store, tmp_path):
    tracker = open_run(store, tags={"lstm_pipeline.env": "local"})
    tracker.log_params({"training.epochs": "2"})
    tracker.log_metrics({"test.mae": 0.5})
    tracker.log_series({"test.per_step.mae": [0.4, 0.6]})
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(b"png")
    (tmp_path / "report.md").write_text("# report")
    tracker.log_artifact(tmp_path / "plots", "plots")
    tracker.log_artifact(tmp_path / "report.md")
    tracker.finish()
    client = MlflowClient(store[0])
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"training.epochs": "2"}
    assert run.data.tags["lstm_pipeline.env"] == "local"
    assert run.data.metrics["test.mae"] == 0.5
    history = client.get_metric_history(tracker.run_id, "test.per_step.mae")
    assert [(m.step, m.value) for m in history] == [(1, 0.4), (2, 0.6)]
    files = {f.path for f in client.list_artifacts(tracker.run_id)}
    assert files == {"plots", "report.md"}
    assert [f.path for f in client.list_artifacts(tracker.run_id, "plots")] == ["plots/a.png"]


def test_processes_of_one_orchestrator_run_share_one_mlflow_run(store):
    first = open_run(store, key="dagrun1")
    first.finish()
    second = open_run(store, key="dagrun1")
    other = open_run(store, key="dagrun2")
    assert second.run_id == first.run_id != other.run_id
    assert MlflowClient(store[0]).get_run(first.run_id).info.status == "RUNNING"


def test_of_two_runs_made_at_once_for_one_key_the_first_is_kept(store):
    client = MlflowClient(store[0])
    experiment = client.get_experiment_by_name("tests").experiment_id
    # another process created the key's run between this one's search and its create
    earlier = client.create_run(experiment, tags={KEY_TAG: "race"}, start_time=1).info.run_id
    from lstm_pipeline.tracking import runs

    chosen = runs._new_keyed_run(client, experiment, RunRequest("tests", "r", key="race"))
    assert chosen == earlier
    live = client.search_runs([experiment], f"tags.`{KEY_TAG}` = 'race'")
    assert [r.info.run_id for r in live] == [earlier]


def test_a_resumed_training_continues_the_latest_run_of_its_fingerprint(store):
    older = open_run(store)
    older.set_tags({FINGERPRINT_TAG: "f00d"})
    newer = open_run(store)
    newer.set_tags({FINGERPRINT_TAG: "f00d"})
    newer.finish("FAILED")
    resumed = open_run(store, training_fingerprint="f00d")
    fresh = open_run(store, training_fingerprint="beef")
    assert resumed.run_id == newer.run_id
    assert fresh.run_id not in (older.run_id, newer.run_id)


def test_mlflow_run_id_names_the_run_to_continue(store):
    first = open_run(store)
    assert open_run(store, run_id=first.run_id).run_id == first.run_id


def test_a_continued_run_keeps_its_first_parameter_values_and_names_the_changed(store, caplog):
    tracker = open_run(store, key="params")
    tracker.log_params({"a": "1", "b": "2"})
    again = open_run(store, key="params")
    with caplog.at_level(logging.WARNING):
        again.log_params({"a": "1", "b": "3", "c": "4"})
    run = MlflowClient(store[0]).get_run(tracker.run_id)
    assert run.data.params == {"a": "1", "b": "2", "c": "4"}
    assert run.data.tags["lstm_pipeline.params_changed"] == "b"
    assert not again.stopped and "other values of b" in caplog.text


def test_trials_are_nested_runs(store):
    parent = open_run(store)
    trial = parent.nested("trial 1", {"trial": "1"})
    run = MlflowClient(store[0]).get_run(trial.run_id)
    assert run.data.tags[PARENT_TAG] == parent.run_id
    assert run.data.tags["trial"] == "1" and run.info.run_name == "trial 1"


def test_an_unwritable_store_is_a_warning_not_a_failure(tmp_path, caplog):
    (tmp_path / "not_a_folder").write_text("")
    uri = f"sqlite:///{tmp_path / 'not_a_folder' / 'mlflow.db'}"
    with caplog.at_level(logging.WARNING):
        assert Tracker.open(uri, RunRequest("tests", "r")) is None
    assert "MLflow tracking is off" in caplog.text and "not_a_folder" in caplog.text


def test_after_a_failure_tracking_stops_with_one_warning(store, caplog, monkeypatch):
    tracker = open_run(store)

    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tracker.client, "log_batch", refuse)
    with caplog.at_level(logging.WARNING):
        tracker.log_metrics({"a": 1.0})
        tracker.log_metrics({"b": 2.0})
        tracker.finish()
    assert tracker.stopped
    assert caplog.text.count("MLflow tracking is off") == 1 and "disk full" in caplog.text
    assert MlflowClient(store[0]).get_run(tracker.run_id).info.status == "RUNNING"


def test_a_new_store_is_a_copy_of_an_empty_one_with_its_own_default_experiment(
    tmp_path, monkeypatch
):
    for name in ("a", "b"):  # the second at least is a copy
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)  # as kedro runs, from the project folder
        uri, artifacts = project_store(tmp_path / name)
        tracker = Tracker.open(uri, RunRequest("tests", "r"), artifacts)
        client = MlflowClient(uri)
        # MLflow's Default experiment, made on first use as in a store MLflow made itself
        assert client.get_experiment("0").artifact_location == str(tmp_path / name / "mlruns/0")
        assert client.get_run(tracker.run_id).info.status == "RUNNING"
        assert [e.name for e in client.search_experiments()] == ["tests", "Default"]


def test_without_the_empty_copy_mlflow_makes_the_store(tmp_path, monkeypatch):
    import mlflow.store.db.utils

    def refuse(engine):
        raise RuntimeError("no migrations here")

    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(mlflow.store.db.utils, "_initialize_tables", refuse)
    uri, artifacts = project_store(tmp_path / "project")
    assert not (tmp_path / "project" / "mlruns" / "mlflow.db").exists()
    monkeypatch.undo()  # MLflow's own first use runs its migrations
    tracker = Tracker.open(uri, RunRequest("tests", "r"), artifacts)
    assert tracker is not None and not tracker.stopped
