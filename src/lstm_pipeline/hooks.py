"""Kedro hooks: node timing and memory, one seed for everything, and the lineage of outputs.

Cross-cutting concerns live here, not in nodes: a node stays a pure function of its inputs.
"""

import logging
import resource
import time

from kedro.framework.hooks import hook_impl

from lstm_pipeline.lineage import KEY, attach, node_lineage

logger = logging.getLogger(__name__)


class NodeTimingHooks:
    """Logs each node's wall time, from loading its first input to saving its last output,
    and the process's peak RSS so far."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._unsaved: dict[str, set[str]] = {}

    @hook_impl
    def before_dataset_loaded(self, node) -> None:
        self._started.setdefault(node.name, time.perf_counter())

    @hook_impl
    def before_node_run(self, node) -> None:
        self._started.setdefault(node.name, time.perf_counter())

    @hook_impl
    def after_node_run(self, node, outputs) -> None:
        self._unsaved[node.name] = set(outputs)
        if not outputs:
            self._report(node.name)

    @hook_impl
    def after_dataset_saved(self, dataset_name, node) -> None:
        unsaved = self._unsaved.get(node.name)
        if unsaved is None:
            return
        unsaved.discard(dataset_name)
        if not unsaved:
            del self._unsaved[node.name]
            self._report(node.name)

    def _report(self, name: str) -> None:
        now = time.perf_counter()
        elapsed = now - self._started.pop(name, now)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        logger.info(
            "Node '%s' took %.3g s with loading and saving (peak RSS so far %.0f MB)",
            name,
            elapsed,
            peak_mb,
        )


class SeedingHooks:
    """One seed for everything: Python, NumPy and, for nodes tagged ``tensorflow``,
    TensorFlow/Keras (weights initialisation, dropout), with deterministic ops if asked.

    Reads ``seed`` and ``deterministic_ops`` from conf/base/parameters.yml. TensorFlow is
    only imported for the nodes that use it, so ingestion stays light.
    """

    def __init__(self) -> None:
        self._seed = 0
        self._deterministic = False

    @hook_impl
    def after_context_created(self, context) -> None:
        params = context.params
        self._seed = int(params.get("seed", 0))
        self._deterministic = bool(params.get("deterministic_ops", False))

    @hook_impl
    def before_pipeline_run(self) -> None:
        import random

        import numpy as np

        random.seed(self._seed)
        np.random.seed(self._seed)

    @hook_impl
    def before_node_run(self, node) -> None:
        if "tensorflow" not in node.tags:
            return
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(self._seed)
        if self._deterministic:
            tf.config.experimental.enable_op_determinism()


class LineageHooks:
    """Refuses to run a node on inputs from different runs of a stage, and stamps every
    output with the lineage of the run that made it (see :mod:`lstm_pipeline.lineage`).

    A node's stage is the registered pipeline it belongs to, so it is the same whether the
    whole project runs in one process or each node in its own (Airflow).
    """

    def __init__(self) -> None:
        self._stage_of: dict[str, str] = {}
        self._made: dict[str, dict] = {}

    @hook_impl
    def before_pipeline_run(self) -> None:
        from lstm_pipeline.pipeline_registry import stage_of_nodes

        self._stage_of = stage_of_nodes()

    @hook_impl
    def before_node_run(self, node, inputs) -> dict:
        """Check the inputs and work out the outputs' lineage; nodes get JSON inputs without
        their ``lineage`` key, so they never depend on it."""
        parameters = {k: v for k, v in inputs.items() if k.startswith("params:")}
        data = {k: v for k, v in inputs.items() if not k.startswith("params:")}
        data.pop("parameters", None)
        stage = self._stage_of.get(node.name, node.name)
        self._made[node.name] = node_lineage(stage, node.name, data, parameters)
        return {
            name: {k: v for k, v in value.items() if k != KEY}
            for name, value in data.items()
            if isinstance(value, dict) and KEY in value
        }

    @hook_impl
    def after_node_run(self, node, outputs) -> None:
        made = self._made.pop(node.name, None)
        if made is None:
            return
        for name in list(outputs):
            outputs[name] = attach(outputs[name], made)


class DaskEngineHooks:
    """Closes the Dask client (and the local cluster) the run's data stages opened
    (``engine.name: dask``), so a notebook or a long-lived session does not keep the
    workers; a plain ``kedro run`` would close them at exit anyway."""

    @hook_impl
    def after_pipeline_run(self) -> None:
        from lstm_pipeline.parallel.engine import close_shared

        close_shared()

    @hook_impl
    def on_pipeline_error(self) -> None:
        from lstm_pipeline.parallel.engine import close_shared

        close_shared()


class DistributionHooks:
    """Starts ``training.distribution: multi_worker`` (MultiWorkerMirroredStrategy, from
    TF_CONFIG) before any node runs: it must configure TensorFlow's collective ops before TF
    runs its first operation, which the modelling node or loading the untrained model would
    do ("Collective ops must be configured at program startup")."""

    def __init__(self) -> None:
        self._training: dict = {}

    @hook_impl
    def after_context_created(self, context) -> None:
        self._training = dict(context.params.get("training") or {})

    @hook_impl
    def before_pipeline_run(self, pipeline) -> None:
        trains = any(node.name.split(".")[-1] == "train_model" for node in pipeline.nodes)
        if not trains or self._training.get("distribution") != "multi_worker":
            return
        from lstm_pipeline.trainer.config import TrainingConfig
        from lstm_pipeline.trainer.distributed import start_strategy

        start_strategy(TrainingConfig.model_validate(self._training))
