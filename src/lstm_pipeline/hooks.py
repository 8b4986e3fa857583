"""Kedro hooks: how long each node took and how much memory the run has used."""

import logging
import resource
import time

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)


class NodeTimingHooks:
    """Logs wall time per node and the process's peak RSS so far."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    @hook_impl
    def before_node_run(self, node) -> None:
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node) -> None:
        elapsed = time.perf_counter() - self._started.pop(node.name, time.perf_counter())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        logger.info("Node '%s' took %.1f s (peak RSS so far %.0f MB)", node.name, elapsed, peak_mb)


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
