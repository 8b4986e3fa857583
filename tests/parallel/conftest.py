"""One two-worker local Dask cluster for every test of the Dask engine, and the 14-day slice
cut into several raw files (the Dask engine reads one file per task)."""

import lzma
from pathlib import Path

import pytest
import yaml

from lstm_pipeline.parallel.engine import EngineParams, close_shared

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


@pytest.fixture(scope="session")
def dask_engine():
    """``params:engine`` of the Dask engine, pointing at a two-worker cluster (processes,
    one thread each) shared by the session: started once (~2 s on 2 cores)."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield EngineParams(name="dask", scheduler_address=cluster.scheduler_address)
    finally:
        close_shared()  # the clients the engine opened on it
        cluster.close()


@pytest.fixture(scope="session")
def day_files(slice_path, tmp_path_factory) -> list[Path]:
    """The 14-day slice as four CSV files of consecutive days (unordered names on purpose:
    the reader sorts the rows by time, not the files)."""
    lines = lzma.decompress(slice_path.read_bytes()).decode().splitlines()
    header, rows = lines[0], lines[1:]
    folder = tmp_path_factory.mktemp("days")
    cut = len(rows) // 4
    files = []
    for number, start in enumerate(range(0, len(rows), cut)):
        path = folder / f"part_{3 - number}.csv"
        path.write_text("\n".join([header, *rows[start : start + cut]]) + "\n")
        files.append(path)
    return sorted(files)


def base_parameters(name: str) -> dict:
    """``conf/base/parameters_<name>.yml``'s ``name`` block."""
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())[name]
