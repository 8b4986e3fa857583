"""Which MLflow run a process logs into, and logging that never fails the work it tracks.

A process opens one run (:meth:`Tracker.open`): the run ``MLFLOW_RUN_ID`` names; else the
run of its orchestrator's run (one MLflow run per Airflow DAG run, however many processes
its tasks are), found by a key tag; else the run an unfinished training began in (a resumed
training continues its run), found by the training's fingerprint tag; else a new run.
Tuning trials log into nested runs (:meth:`Tracker.nested`), one per trial, under the run
of the pipeline that tunes.

Every call to MLflow goes through a guard: the first failure (an unwritable store, a server
that does not answer, MLflow not installed) is logged as a warning and tracking stops for
the rest of the process; the run itself goes on.

    >>> tracker = Tracker.open("sqlite:///mlruns/mlflow.db", RunRequest("demo", "a run"))
    >>> tracker.log_metrics({"test.mae": 0.4})
    >>> tracker.finish()
"""

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

KEY_TAG = "lstm_pipeline.run_key"  # the orchestrator's run (origin.run_key)
FINGERPRINT_TAG = "lstm_pipeline.training_fingerprint"  # the training run (checkpoints)
PARENT_TAG = "mlflow.parentRunId"  # MLflow's own: the UI nests a child under its parent
STORE_FOLDER = "mlruns"  # inside the project: mlflow.db and artifacts/
_PARAMS_PER_CALL, _METRICS_PER_CALL = 100, 1000  # MLflow's log_batch limits


@dataclass(frozen=True)
class RunRequest:
    """What a process asks for: an experiment, a name and tags for a new run, and what may
    name an existing run to continue (see the module)."""

    experiment: str
    run_name: str
    tags: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    key: str | None = None
    training_fingerprint: str | None = None


def project_store(project: Path) -> tuple[str, str]:
    """The project's own store: ``(sqlite URI, artifact folder URI)`` under ``mlruns/``,
    the folder made if missing. SQLite is MLflow 3's default backend (its file store is
    refused unless opted into); it needs no server and works offline."""
    folder = (Path(project) / STORE_FOLDER).resolve()
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    database = folder / "mlflow.db"
    if not database.exists():
        _copy_empty_store(database)
    return f"sqlite:///{database}", (folder / "artifacts").as_uri()


def _copy_empty_store(database: Path) -> None:
    """A new store as a copy of an empty one of this MLflow version, made once per machine
    in the temporary folder: MLflow makes a new SQLite store by running every schema
    migration since its first release (seconds), a copy takes milliseconds. The empty store
    is what MLflow makes before its first use (tables only: the Default experiment is
    added, with this store's paths, when the copy is first opened). Where the copy cannot
    be made (another MLflow without that step, say), MLflow makes the store itself."""
    import shutil
    import tempfile

    try:
        import mlflow
        import sqlalchemy
        from mlflow.store.db.utils import _initialize_tables

        empty = Path(tempfile.gettempdir()) / f"lstm_pipeline-mlflow-{mlflow.__version__}.db"
        if not empty.is_file():
            making = empty.with_name(f"{empty.name}.{os.getpid()}.tmp")
            engine = sqlalchemy.create_engine(f"sqlite:///{making}")
            _initialize_tables(engine)  # MLflow's own step for a new database
            engine.dispose()
            os.replace(making, empty)  # whole or not at all, whoever makes it at once
        shutil.copyfile(empty, database)
    except Exception as exc:  # MLflow makes the store on first use instead
        logger.debug("No copy of an empty MLflow store (%s): MLflow makes one.", exc)
        database.unlink(missing_ok=True)


def _guarded(method):
    """Run ``method`` unless tracking has stopped; on its first failure, warn and stop."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        if self.stopped:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # tracking must never fail the run it tracks
            self.stop(exc)
            return None

    return guarded


class Tracker:
    """One MLflow run, logged into through :class:`mlflow.MlflowClient`."""

    def __init__(self, client, run_id: str, experiment_id: str) -> None:
        self.client, self.run_id, self.experiment_id = client, run_id, experiment_id
        self.stopped = False

    @classmethod
    def open(cls, uri: str, request: RunRequest, artifact_location: str | None = None):
        """The run ``request`` names or a new one, marked running; None (with a warning)
        when the store cannot be reached or written."""
        try:
            from mlflow import MlflowClient

            if uri.startswith(("http://", "https://")):
                # MLflow retries 7 times with growing waits (minutes) by default; a run
                # should not wait that long for a server that is down
                os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
                os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
            client = MlflowClient(tracking_uri=uri)
            experiment_id = _experiment_id(client, request.experiment, artifact_location)
            run_id = _run_to_log_into(client, experiment_id, request)
            client.update_run(run_id, status="RUNNING")
        except Exception as exc:  # ImportError included: tracking is optional to a run
            _warn(exc, uri)
            return None
        logger.info("MLflow run %s in %s (experiment '%s')", run_id, uri, request.experiment)
        return cls(client, run_id, experiment_id)

    def stop(self, error: BaseException) -> None:
        """Stop tracking for the rest of the process, saying why."""
        self.stopped = True
        _warn(error, self.client.tracking_uri)

    @_guarded
    def set_tags(self, tags: dict[str, str]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(k, str(v)) for k, v in tags.items()]
        for start in range(0, len(items), _PARAMS_PER_CALL):
            self.client.log_batch(self.run_id, tags=items[start : start + _PARAMS_PER_CALL])

    @_guarded
    def log_params(self, params: dict[str, str]) -> None:
        """Log ``params``; a continued run keeps the values it began with (MLflow refuses
        to change a parameter), and those that differ now are named in a warning and in the
        ``lstm_pipeline.params_changed`` tag."""
        from mlflow.entities import Param

        logged = self.client.get_run(self.run_id).data.params
        changed = sorted(k for k, v in params.items() if k in logged and logged[k] != v)
        if changed:
            logger.warning(
                "MLflow run %s began with other values of %s: it keeps those.",
                *(self.run_id, ", ".join(changed)),
            )
            self.set_tags({"lstm_pipeline.params_changed": ", ".join(changed)[:5000]})
        items = [Param(k, v) for k, v in params.items() if k not in logged]
        for start in range(0, len(items), _PARAMS_PER_CALL):
            self.client.log_batch(self.run_id, params=items[start : start + _PARAMS_PER_CALL])

    @_guarded
    def log_metrics(self, values: dict[str, float], step: int = 0) -> None:
        self._log_metric_items([(key, value, step) for key, value in values.items()])

    @_guarded
    def log_series(self, series: dict[str, list[float]], first_step: int = 1) -> None:
        """Each list as one metric's history: its i-th value at step ``first_step + i``."""
        items = [
            (key, value, first_step + i)
            for key, values in series.items()
            for i, value in enumerate(values)
        ]
        self._log_metric_items(items)

    def _log_metric_items(self, items: list[tuple[str, float, int]]) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(key, float(value), now, step) for key, value, step in items]
        for start in range(0, len(metrics), _METRICS_PER_CALL):
            self.client.log_batch(self.run_id, metrics=metrics[start : start + _METRICS_PER_CALL])

    @_guarded
    def logged_steps(self, key: str) -> set[int]:
        """The steps at which metric ``key`` was logged in this run (empty when never)."""
        return {m.step for m in self.client.get_metric_history(self.run_id, key)}

    @_guarded
    def log_artifact(self, path: Path, folder: str | None = None) -> None:
        """A file, or a folder's files, under ``folder`` of the run's artifacts."""
        path = Path(path)
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), folder)
        elif path.is_file():
            self.client.log_artifact(self.run_id, str(path), folder)

    @_guarded
    def finish(self, status: str = "FINISHED") -> None:
        """End the run (``FINISHED``, ``FAILED`` or ``KILLED``); a later process that
        continues it marks it running again."""
        self.client.set_terminated(self.run_id, status=status)

    @_guarded
    def nested(self, run_name: str, tags: dict[str, str] | None = None):
        """A child run under this one (one per tuning trial), shown nested in the UI."""
        child = self.client.create_run(
            self.experiment_id, run_name=run_name, tags={**(tags or {}), PARENT_TAG: self.run_id}
        )
        return Tracker(self.client, child.info.run_id, self.experiment_id)


def _experiment_id(client, name: str, artifact_location: str | None) -> str:
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        return found.experiment_id
    try:
        return client.create_experiment(name, artifact_location=artifact_location)
    except MlflowException:  # another process (a parallel Airflow task) created it first
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _run_to_log_into(client, experiment_id: str, request: RunRequest) -> str:
    """The run id to log into (see the module for the order), a new run if none."""
    if request.run_id:
        return client.get_run(request.run_id).info.run_id
    if request.key:
        found = _runs_tagged(client, experiment_id, KEY_TAG, request.key, "ASC")
        return found[0] if found else _new_keyed_run(client, experiment_id, request)
    if request.training_fingerprint:
        tag, value = FINGERPRINT_TAG, request.training_fingerprint
        found = _runs_tagged(client, experiment_id, tag, value, "DESC")
        if found:
            logger.info("The training resumes: MLflow run %s continues.", found[0])
            return found[0]
    return _new_run(client, experiment_id, request)


def _new_run(client, experiment_id: str, request: RunRequest) -> str:
    tags = {**request.tags, **({KEY_TAG: request.key} if request.key else {})}
    run = client.create_run(experiment_id, run_name=request.run_name, tags=tags)
    return run.info.run_id


def _new_keyed_run(client, experiment_id: str, request: RunRequest) -> str:
    """A new run for the key; when parallel processes created one each, all but the first
    made delete theirs and use it."""
    mine = _new_run(client, experiment_id, request)
    first = _runs_tagged(client, experiment_id, KEY_TAG, request.key, "ASC")[0]
    if first != mine:
        client.delete_run(mine)
    return first


def _runs_tagged(client, experiment_id: str, tag: str, value: str, order: str) -> list[str]:
    """Ids of the live runs whose ``tag`` is ``value`` (hex, safe to quote), by start time."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{tag}` = '{value}'",
        order_by=[f"attributes.start_time {order}", f"attributes.run_id {order}"],
        max_results=10,
    )
    return [run.info.run_id for run in runs]


def _warn(error: BaseException, uri: str) -> None:
    logger.warning(
        "MLflow tracking is off for the rest of this run (%s: %s) at %s. The run goes on; "
        "set tracking.enabled: false to silence this, or fix tracking.tracking_uri.",
        *(type(error).__name__, str(error).splitlines()[0][:300] if str(error) else "", uri),
    )
