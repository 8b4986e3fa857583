"""The map the data stages run on: in order, bounded, errors as raised, clear settings."""

import pytest

from lstm_pipeline.errors import RawInputError, SettingsError
from lstm_pipeline.hooks import DaskEngineHooks
from lstm_pipeline.parallel.engine import (
    _SHARED,
    DaskMapper,
    EngineParams,
    engine_params,
    mapper_for,
    serial_map,
    shared_client,
)


def _square_after(item: tuple[int, float]) -> int:
    import time

    number, delay = item
    time.sleep(delay)
    return number * number


def _refuse(item: int) -> int:
    if item == 3:
        raise RawInputError(f"item {item} is bad")
    return item


def test_results_come_back_in_item_order_whatever_finishes_first(dask_engine):
    items = [(n, 0.05 if n % 3 == 0 else 0.0) for n in range(12)]
    map_items = mapper_for(dask_engine.model_copy(update={"in_flight": 1}))
    assert map_items(_square_after, iter(items)) == [n * n for n in range(12)]
    assert serial_map(_square_after, items) == [n * n for n in range(12)]


def test_a_worker_error_is_raised_as_the_worker_raised_it(dask_engine):
    with pytest.raises(RawInputError, match="item 3 is bad"):
        DaskMapper(dask_engine)(_refuse, range(6))


def test_the_pandas_engine_maps_in_this_process():
    assert mapper_for(None) is serial_map and mapper_for({"name": "pandas"}) is serial_map
    assert engine_params(None).name == "pandas"


def test_without_an_address_one_local_cluster_serves_the_run_until_closed():
    params = EngineParams(name="dask", n_workers=1)
    assert DaskMapper(params)(abs, [-1, -2]) == [1, 2]
    client = shared_client(params)
    assert DaskMapper(params)(abs, [-3]) == [3] and shared_client(params) is client
    cluster = _SHARED[params][1]
    DaskEngineHooks().after_pipeline_run()  # what a Kedro run does at its end
    assert not _SHARED and cluster.status.name == "closed" and client.status == "closed"


def test_a_bad_engine_setting_names_the_parameter():
    with pytest.raises(SettingsError, match=r"engine\.name = 'spark'"):
        EngineParams.model_validate({"name": "spark"})
    with pytest.raises(SettingsError, match=r"engine\.n_workers = 0"):
        EngineParams.model_validate({"name": "dask", "n_workers": 0})


def test_an_address_where_no_scheduler_answers_names_the_parameter():
    import socket

    import dask

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = EngineParams(name="dask", scheduler_address=f"tcp://127.0.0.1:{port}")
    refused = pytest.raises(SettingsError, match=r"engine\.scheduler_address = 'tcp://127")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), refused:
        DaskMapper(params)(abs, [1])
    assert params not in _SHARED
