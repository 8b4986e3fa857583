"""The data engine: a ``map_items(function, items)`` that runs in this process or on Dask.

The library functions of ingestion, normalisation and windowing that have independent
pieces of work (one raw file, one series, one block of rows, one shard) take a
``map_items`` argument: :func:`serial_map` (the default, the pandas engine) or a
:class:`DaskMapper`, which runs each piece on a Dask worker and returns the results in
order. Dask is imported here only, and only when the Dask engine runs.

    >>> map_items = mapper_for(EngineParams(name="dask", n_workers=2))
    >>> tables = map_items(read_one_file, files)   # one task per file, in file order
"""

import atexit
import logging
from asyncio import CancelledError
from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import Field

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.parameters import StrictModel

logger = logging.getLogger(__name__)

EngineName = Literal["pandas", "dask"]
Mapper = Callable[[Callable, Iterable], list]


class EngineParams(StrictModel):
    """The ``engine`` parameters (conf/base/parameters.yml)."""

    parameter_key = "engine"

    name: EngineName = Field(default="pandas", description="pandas (this process) | dask")
    scheduler_address: str | None = Field(
        default=None,
        description="a running Dask scheduler (tcp://host:8786); null: a local "
        "cluster started and closed by the run",
    )
    n_workers: int = Field(default=2, ge=1, description="local cluster: worker processes")
    memory_limit: str = Field(default="auto", description="local cluster: per worker, e.g. 4GiB")
    in_flight: int = Field(
        default=2, ge=1, description="tasks queued per worker: bounds the client's memory"
    )


def serial_map(function: Callable, items: Iterable) -> list:
    """``function`` of each item in this process, in order (the pandas engine)."""
    return [function(item) for item in items]


class DaskMapper:
    """``function`` of each item on a Dask worker, results in item order.

    Items are submitted as ``items`` yields them, at most ``in_flight`` per worker at a
    time, so a long iterator (segments of a split) is never held whole by the client. The
    cluster is the run's shared one (:func:`shared_client`): started by the first node that
    needs it, closed by :func:`close_shared` after the run (or when the process exits).
    """

    def __init__(self, params: EngineParams) -> None:
        self.params = params

    def __call__(self, function: Callable, items: Iterable) -> list:
        client = shared_client(self.params)
        workers = len(client.scheduler_info(n_workers=-1)["workers"]) or 1
        return _bounded_map(client, function, items, self.params.in_flight * workers)


_SHARED: dict[EngineParams, tuple] = {}  # engine settings -> (client, cluster or None)


def shared_client(params: EngineParams):
    """The client of this process for ``params``, opened on first use (see
    :func:`open_client`) and kept until :func:`close_shared`."""
    if params not in _SHARED:
        if not _SHARED:
            atexit.register(close_shared)
        _SHARED[params] = open_client(params)
    return _SHARED[params][0]


def close_shared() -> None:
    """Close every client this process opened, and the local clusters it started."""
    while _SHARED:
        close_client(*_SHARED.popitem()[1])


def _bounded_map(client, function: Callable, items: Iterable, limit: int) -> list:
    """Submit ``function(item)`` for each item, waiting whenever ``limit`` are unfinished;
    gather in order. A worker's exception is raised here, as the worker raised it."""
    from distributed import wait

    futures, pending = [], set()
    for item in items:
        if len(pending) >= limit:
            done = wait(pending, return_when="FIRST_COMPLETED").done
            _raise_failed(done)
            pending -= done
        future = client.submit(function, item, pure=False)
        futures.append(future)
        pending.add(future)
    return client.gather(futures)


def _raise_failed(done) -> None:
    for future in done:
        if future.status == "error":
            future.result()  # re-raises the worker's exception


def open_client(params: EngineParams):
    """A client of the scheduler at ``scheduler_address``, or of a local cluster (worker
    processes, one thread each, no dashboard; the scheduler's small HTTP server still takes
    port 8787, or a free one) started here: (client, cluster or None)."""
    from distributed import Client, LocalCluster

    if params.scheduler_address:
        logger.info("Dask: connecting to %s", params.scheduler_address)
        try:
            return Client(params.scheduler_address), None
        except (OSError, TimeoutError, CancelledError) as exc:  # cancelled: a timeout under load
            raise SettingsError(
                f"engine.scheduler_address = {params.scheduler_address!r}: no Dask scheduler "
                f"answers there ({exc}). Start one (`dask scheduler`, then `dask worker "
                f"<address>` on each machine), or set it to null for a local cluster."
            ) from exc
    cluster = LocalCluster(
        n_workers=params.n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=params.memory_limit,
    )
    logger.info("Dask: local cluster of %d worker process(es)", params.n_workers)
    return Client(cluster), cluster


def close_client(client, cluster) -> None:
    """Close the client, and the local cluster if this run started it (never a cluster
    reached by address: other runs may use it)."""
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def engine_params(value: EngineParams | dict | None) -> EngineParams:
    """``params:engine`` as the model (None, or a node called without it: pandas)."""
    return value if isinstance(value, EngineParams) else EngineParams.model_validate(value or {})


def mapper_for(params: EngineParams | dict | None) -> Mapper:
    """The ``map_items`` of the engine ``params`` names: :func:`serial_map` (pandas) or a
    :class:`DaskMapper`."""
    params = engine_params(params)
    return DaskMapper(params) if params.name == "dask" else serial_map
