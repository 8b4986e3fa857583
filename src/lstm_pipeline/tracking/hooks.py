"""The Kedro side of tracking: one MLflow run per ``kedro run`` (see :mod:`.runs`).

Everything is logged as it is saved, so a pipeline run split over processes (Airflow: one
``kedro run --nodes=<node>`` per task) logs the same as one process: the parameters when
a process starts, each epoch's training and validation metrics as it ends (a trainer
listener), the test metrics of the model and baselines when ``metrics`` is saved, and the
files of the ``tracking.artifacts`` entries and of ``model`` when they are saved. A dataset
of a namespaced pipeline (``backtest.fold_1.metrics``) logs under its namespace.
"""

import logging
import os
from datetime import datetime
from pathlib import Path

from kedro.framework.hooks import hook_impl

from lstm_pipeline.storage import is_remote
from lstm_pipeline.tracking.flatten import flat_params, numeric_leaves, plain
from lstm_pipeline.tracking.origin import git_tags, orchestrator_run, run_key
from lstm_pipeline.tracking.params import TrackingParams
from lstm_pipeline.tracking.runs import FINGERPRINT_TAG, RunRequest, Tracker, project_store

logger = logging.getLogger(__name__)

TRAIN_NODE = "train_model"  # whose checkpoints say whether a training resumes
EPOCH_FIELDS_SKIPPED = ("epoch",)  # the step, not a metric


class TrackingHooks:
    """Opens the run before the first node, logs as datasets are saved, ends the run with
    the pipeline's outcome. Off with ``tracking.enabled: false``."""

    def __init__(self) -> None:
        self._params: dict = {}
        self._project = Path.cwd()
        self._tracker: Tracker | None = None
        self._settings = TrackingParams()
        self._catalog = None
        self._listener = None
        self._epochs_logged: dict[str, int] = {}  # per namespace, by this process

    @hook_impl
    def after_context_created(self, context) -> None:
        # the parameters as configured (conf and --params), not Kedro's validated copy:
        # reading that would import every pipeline before the run has begun
        self._params = plain(context.config_loader["parameters"])
        self._project = Path(context.project_path)

    @hook_impl(trylast=True)  # after the preflight: a refused run is not tracked
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        settings = TrackingParams.model_validate(self._params.get("tracking", {}))
        self._tracker, self._catalog, self._epochs_logged = None, catalog, {}
        if not settings.enabled:
            return
        self._settings = settings
        store = self._store(settings)
        if store is None:
            return
        request = self._request(settings, run_params, pipeline)
        uri, artifact_location = store
        self._tracker = Tracker.open(uri, request, artifact_location)
        if self._tracker is not None:
            self._tracker.set_tags(request.tags)
            self._tracker.log_params(flat_params(self._params))

    def _store(self, settings: TrackingParams) -> tuple[str, str | None] | None:
        """``(tracking URI, artifact location)``; None (warned) when the project's own store
        cannot be made."""
        uri = settings.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            return uri, None
        try:
            return project_store(self._project)
        except OSError as exc:
            logger.warning("MLflow tracking is off for this run: %s. The run goes on.", exc)
            return None

    def _request(self, settings: TrackingParams, run_params: dict, pipeline) -> RunRequest:
        names = run_params.get("pipeline_names") or ["__default__"]
        env = run_params.get("env") or "local"
        orchestrated = orchestrator_run()
        tags = {
            "lstm_pipeline.pipeline": ",".join(names),
            "lstm_pipeline.env": env,
            "lstm_pipeline.task": str(self._params.get("task", "")),
            "kedro.session_id": str(run_params.get("run_id")),
            **git_tags(self._project),
            **(orchestrated or {}),
        }
        if run_params.get("node_names"):
            tags["lstm_pipeline.nodes"] = ",".join(run_params["node_names"])[:5000]
        when = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        name = f"{env} {tags['lstm_pipeline.pipeline']} {when}"
        if orchestrated:
            name = f"{orchestrated['airflow.dag_id']} {orchestrated['airflow.dag_run_id']}"
        return RunRequest(
            experiment=settings.experiment,
            run_name=name,
            tags=tags,
            run_id=os.environ.get("MLFLOW_RUN_ID") or None,
            key=run_key(orchestrated) if orchestrated else None,
            training_fingerprint=self._resuming_training(pipeline),
        )

    def _resuming_training(self, pipeline) -> str | None:
        """The fingerprint of the unfinished training this run's train node will resume."""
        training = self._params.get("training") or {}
        trains = any(node.name == TRAIN_NODE for node in pipeline.nodes)
        if not trains or training.get("retrain") or not training.get("checkpoint_dir"):
            return None
        from lstm_pipeline.trainer.checkpoints import CheckpointStore

        try:
            state = CheckpointStore(self._project / training["checkpoint_dir"]).read_state()
        except Exception:  # an unreadable state: training says so itself
            return None
        return None if state is None or state.finished else state.fingerprint

    @hook_impl
    def before_node_run(self, node) -> None:
        # the trainer (and Keras) load only for nodes tagged tensorflow
        if self._tracker is None or "tensorflow" not in node.tags:
            return
        if self._listener is None:
            from lstm_pipeline.trainer.callbacks import add_training_listener

            self._listener = EpochLogger(self)
            add_training_listener(self._listener)
        self._listener.namespace = node.namespace or ""

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data, node) -> None:
        tracker = self._tracker
        if tracker is None or tracker.stopped:
            return
        try:
            self._log_saved(dataset_name, data)
        except Exception as exc:  # the run goes on untracked, never fails for its tracking
            tracker.stop(exc)

    def _log_saved(self, dataset_name: str, data) -> None:
        namespace, _, name = dataset_name.rpartition(".")
        if name == "metrics" and isinstance(data, dict):
            scalars, series = numeric_leaves(data, _prefixed(namespace, "test."))
            self._tracker.log_metrics(scalars)
            self._tracker.log_series(series)
        if name == "training_history" and isinstance(data, dict):
            self._log_history_not_seen(namespace, data.get("history") or {})
        if name in self._settings.artifacts or (name == "model" and self._settings.log_model):
            self._log_file_of(dataset_name, namespace)

    def log_epoch(self, record: dict) -> None:
        """One epoch's metrics at step = its number, under the running node's namespace."""
        namespace = getattr(self._listener, "namespace", "")
        values = {
            _prefixed(namespace, key): value
            for key, value in record.items()
            if key not in EPOCH_FIELDS_SKIPPED and isinstance(value, int | float)
        }
        self._tracker.log_metrics(values, step=int(record["epoch"]))
        self._epochs_logged[namespace] = self._epochs_logged.get(namespace, 0) + 1

    def _log_history_not_seen(self, namespace: str, history: dict) -> None:
        """The history's epochs, when this process trained none (the node returned a model a
        finished training had made): the run shows the curves of the model it evaluates."""
        if self._epochs_logged.get(namespace) or not history.get("epoch"):
            return
        key = _prefixed(namespace, "loss")
        if self._tracker.logged_steps(key):  # an earlier process of this run logged them
            return
        series = {k: v for k, v in history.items() if k not in EPOCH_FIELDS_SKIPPED}
        _, clean = numeric_leaves(series, _prefixed(namespace, ""))
        self._tracker.log_series(clean, first_step=int(history["epoch"][0]))

    def _log_file_of(self, dataset_name: str, namespace: str) -> None:
        """The dataset's file at the top of the artifacts (a folder, the model: in a folder
        of that name), under its namespace's folder."""
        try:
            described = self._catalog.get(dataset_name)._describe()
        except Exception:  # a dataset without a file (memory): nothing to log
            return
        path = described.get("filepath") or described.get("path")
        if not path:
            return
        if is_remote(path):  # on an object store: MLflow gets where it is, not a copy
            self._tracker.set_tags({f"lstm_pipeline.artifact.{dataset_name}": str(path)})
            return
        path = self._project / str(path)
        name = dataset_name.rpartition(".")[2]
        folder = [*namespace.split(".")] if namespace else []
        if path.is_dir() or name == "model":
            folder.append(name)
        self._tracker.log_artifact(path, "/".join(folder) or None)

    def training_started(self, state, tensorboard_dir: str | None) -> None:
        namespace = getattr(self._listener, "namespace", "")
        tags = {_prefixed(namespace, FINGERPRINT_TAG): state.fingerprint}
        if tensorboard_dir:
            tags[_prefixed(namespace, "lstm_pipeline.tensorboard_dir")] = tensorboard_dir
        self._tracker.set_tags(tags)

    @hook_impl
    def after_node_run(self, node) -> None:
        if self._listener is not None:
            self._listener.namespace = ""

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._end("FINISHED")

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._end("FAILED")

    def _end(self, status: str) -> None:
        if self._listener is not None:
            from lstm_pipeline.trainer.callbacks import remove_training_listener

            remove_training_listener(self._listener)
            self._listener = None
        if self._tracker is not None:
            self._tracker.finish(status)
            self._tracker = None


class EpochLogger:
    """The trainer's listener: hands each event to the hooks, never failing the training."""

    def __init__(self, hooks: TrackingHooks) -> None:
        self.hooks, self.namespace = hooks, ""

    def training_started(self, state, tensorboard_dir=None) -> None:
        self._safely(self.hooks.training_started, state, tensorboard_dir)

    def epoch_ended(self, state, record: dict) -> None:
        self._safely(self.hooks.log_epoch, record)

    def _safely(self, log, *args) -> None:
        tracker = self.hooks._tracker
        if tracker is None or tracker.stopped:
            return
        try:
            log(*args)
        except Exception as exc:  # a training never fails for its tracking
            tracker.stop(exc)


def _prefixed(namespace: str, key: str) -> str:
    return f"{namespace}.{key}" if namespace else key
