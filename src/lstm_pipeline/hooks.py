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
