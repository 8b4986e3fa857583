"""The Dask engine gives what the pandas engine gives: the same series, scaler and windows.

Each stage runs twice on the same raw files, once per engine (the Dask one on the session's
two-worker cluster), and the outputs are compared: the series and scaler exactly, the
windows (read back from both shard sets, sorted by start time) within float tolerance.
"""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import NonNumericValueError
from lstm_pipeline.ingest.cleaning import MissingSpec, ResampleSpec
from lstm_pipeline.ingest.many import make_many_regular, read_many_series
from lstm_pipeline.ingest.reading import concat_tables, read_raw_files
from lstm_pipeline.ingest.series import read_sorted_series
from lstm_pipeline.ingest.timestamps import TimestampSpec
from lstm_pipeline.parallel.engine import mapper_for, serial_map
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.pipelines.ingestion.nodes import clean_series, read_raw_series
from lstm_pipeline.pipelines.ingestion.params import IngestionParams
from lstm_pipeline.pipelines.normalisation.nodes import (
    find_split_ranges,
    fit_train_scaler,
    transform_splits,
)
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.pipelines.windowing.nodes import check_windows_fit, windowing_job
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.scaling.scaler import fit_scaler
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob
from tests.parallel.conftest import base_parameters

SPLITS = ("train", "val", "test")
TARGET = "Global_active_power"


def _stages(files, engine, folder) -> dict:
    """ingestion -> normalisation -> windowing through the nodes, on ``engine``."""
    ingestion = IngestionParams.model_validate(
        {
            **base_parameters("ingestion"),
            "resample": {"frequency": "15min", "aggregation": "mean", "per_column": {}},
        }
    )
    raw, read_report = read_raw_series(files, ingestion, "forecast", engine)
    series, report, _ = clean_series(raw, read_report, ingestion, "forecast", engine)
    normalisation = NormalisationParams.model_validate(base_parameters("normalisation"))
    ranges = find_split_ranges(series, normalisation, "forecast", 42)
    scaler = fit_train_scaler(series, ranges, normalisation, "forecast", engine)
    parts = transform_splits(series, ranges, scaler, "forecast")[:3]
    for name, part in zip(SPLITS, parts, strict=True):
        part.to_parquet(folder / f"{name}_series.parquet")
    splits = [ParquetSeries(folder / f"{name}_series.parquet") for name in SPLITS]
    windowing = WindowingParams(
        input_length=32, horizon=8, targets=[TARGET], segment_rows=120, shard_mb=0.02
    )
    settings = check_windows_fit(
        *splits, windowing, "forecast", EvaluationParams(seasonal_period=1), engine
    )
    for number, (name, split) in enumerate(zip(SPLITS, splits, strict=True)):
        windowing_job(split, settings, *splits[:number]).write(folder / f"{name}_shards")
    return {"series": series, "report": report, "scaler": scaler, "folder": folder}


@pytest.fixture(scope="module")
def both_engines(day_files, dask_engine, tmp_path_factory) -> dict:
    return {
        name: _stages(day_files, engine, tmp_path_factory.mktemp(name))
        for name, engine in (("pandas", None), ("dask", dask_engine))
    }


def _windows(folder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window of a shard folder (inputs, targets, start ns), sorted by start."""
    shards = ShardSet(folder, verify="sha256")
    inputs, targets = [], []
    for item in shards.iter_items(range(len(shards.manifest.shards)), 1):
        source = shards.window_source(item)
        count = int(item[1]) if shards.manifest.layout == "segments" else len(item[0])
        x, y = source.take(np.arange(count))
        inputs.append(x)
        targets.append(y)
    starts = shards.window_start_ns()
    order = np.argsort(starts, kind="stable")
    return np.concatenate(inputs)[order], np.concatenate(targets)[order], starts[order]


def test_ingestion_gives_the_same_series_and_report(both_engines):
    pandas, dask = both_engines["pandas"], both_engines["dask"]
    pd.testing.assert_frame_equal(dask["series"], pandas["series"])
    assert dask["report"] == pandas["report"]
    assert len(pandas["report"]["files"]) == 4


def test_the_scaler_is_the_same(both_engines):
    assert both_engines["dask"]["scaler"] == both_engines["pandas"]["scaler"]


@pytest.mark.parametrize("split", SPLITS)
def test_the_windows_are_the_same(both_engines, split):
    pandas = _windows(both_engines["pandas"]["folder"] / f"{split}_shards")
    dask = _windows(both_engines["dask"]["folder"] / f"{split}_shards")
    assert len(pandas[2]) > 50 and np.array_equal(dask[2], pandas[2])
    np.testing.assert_allclose(dask[0], pandas[0], rtol=1e-6)
    np.testing.assert_allclose(dask[1], pandas[1], rtol=1e-6)


def test_the_work_ran_on_the_workers(both_engines, dask_engine):
    from distributed import Client

    with Client(dask_engine.scheduler_address) as client:
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.task_prefixes)
        )
    assert {"read_one_file", "partial_moments", "write_shard"} <= set(prefixes)
    train = ShardSet(both_engines["dask"]["folder"] / "train_shards").manifest
    assert len(train.shards) > 1  # several shards, written in parallel


def test_scaler_moments_combined_from_blocks_match_numpy(dask_engine):
    rng = np.random.default_rng(3)
    values = rng.normal(1e6, 3.0, size=(5_000, 3)).astype(np.float32)  # a large offset
    values[rng.random(values.shape) < 0.05] = np.nan
    frame = pd.DataFrame(values, columns=["a", "b", "c"], index=pd.RangeIndex(5_000))
    parallel = fit_scaler(frame, "standard", ["a", "b", "c"], 700, mapper_for(dask_engine))
    serial = fit_scaler(frame, "standard", ["a", "b", "c"], 700, serial_map)
    assert parallel == serial
    for column in "abc":
        present = frame[column].dropna().to_numpy(np.float64)
        assert parallel["center"][column] == pytest.approx(present.mean(), rel=1e-13)
        assert parallel["scale"][column] == pytest.approx(present.std(), rel=1e-9)


def test_files_read_one_per_task_join_categories_as_one_reader_does(tmp_path, dask_engine):
    rows = {
        "a.csv": ["2020-01-01 00:00,x,1.0", "2020-01-01 01:00,y,2.0"],
        "b.csv": ["2020-01-01 02:00,z,3.0", "2020-01-01 03:00,x,"],
        "c.csv": ["2020-01-01 04:00,,5.0"],
    }
    files = []
    for name, lines in rows.items():
        (tmp_path / name).write_text("\n".join(["t,wind,y", *lines]) + "\n")
        files.append(tmp_path / name)
    options = {
        "timestamp": TimestampSpec(
            column="t", date_column=None, time_column=None, format=None, parts=None
        ),
        "features": ["y"],
        "targets": ["y"],
        "missing_markers": [""],
        "categorical": ["wind"],
    }
    one_reader = read_raw_files(files, **options)
    joined = concat_tables([read_raw_files([path], **options) for path in files])
    assert joined.categories == one_reader.categories == {"wind": ["x", "y", "z"]}
    for column in ("wind", "y"):
        np.testing.assert_array_equal(joined.values[column], one_reader.values[column])
    np.testing.assert_array_equal(joined.file_index, one_reader.file_index)
    assert joined.files == one_reader.files


def test_many_series_are_read_and_cleaned_one_per_task(day_files, dask_engine):
    options = {
        "timestamp": TimestampSpec.model_validate(base_parameters("ingestion")["timestamp"]),
        "features": None,
        "targets": [TARGET],
        "missing_markers": ["?", ""],
        "chunk_rows": 250_000,
        "csv_options": {},
    }
    cleaning = {
        "frequency": None,
        "missing": MissingSpec(),
        "resampling": ResampleSpec(frequency="1h", aggregation="mean", per_column={}),
    }
    results = []
    for engine in (None, dask_engine):
        map_items = mapper_for(engine)
        raw, report = read_many_series(
            day_files,
            series_id=None,
            per_file=True,
            read_options=options,
            duplicates="error",
            max_timestamp_gap=None,
            map_items=map_items,
        )
        results.append(make_many_regular(raw, report, map_items, **cleaning))
    (serial, serial_report), (parallel, parallel_report) = results
    pd.testing.assert_frame_equal(parallel, serial)
    assert parallel.attrs == serial.attrs and parallel_report == serial_report
    assert [name for name, _ in parallel.attrs["series"]] == [
        "part_0",
        "part_1",
        "part_2",
        "part_3",
    ]


@pytest.mark.parametrize("layout", ["segments", "windows"])
def test_shards_written_by_workers_equal_those_written_here(split, dask_engine, tmp_path, layout):
    manifests = {}
    for name, engine in (("pandas", None), ("dask", dask_engine)):
        map_items = mapper_for(engine)
        job = WindowingJob(
            source=ParquetSeries(split[0]),
            spec=WindowSpec(24, 6, 0, 25 if layout == "windows" else 2),
            features=["a", "b", "y"],
            targets=["y"],
            layout=layout,
            segment_rows=300,
            shard_mb=0.01,
            map_items=map_items,
        )
        manifests[name] = job.write(tmp_path / name)
    pandas, dask = manifests["pandas"], manifests["dask"]
    assert len(dask["shards"]) == len(pandas["shards"]) > 1
    assert [s["windows"] for s in dask["shards"]] == [s["windows"] for s in pandas["shards"]]
    assert dask["segments"] == pandas["segments"]
    for ours, theirs in zip(
        _windows(tmp_path / "dask"), _windows(tmp_path / "pandas"), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_a_bad_value_in_one_file_is_named_as_the_single_reader_names_it(tmp_path, dask_engine):
    for hour, (name, value) in enumerate((("a.csv", "1.0"), ("b.csv", "oops"), ("c.csv", "3"))):
        (tmp_path / name).write_text(f"t,y\n2020-01-01 0{hour}:00,{value}\n")
    files = sorted(tmp_path.glob("*.csv"))
    options = {
        "timestamp": TimestampSpec(
            column="t", date_column=None, time_column=None, format=None, parts=None
        ),
        "features": None,
        "targets": ["y"],
        "missing_markers": [""],
        "chunk_rows": 250_000,
        "csv_options": {},
        "duplicates": "error",
        "max_timestamp_gap": None,
    }
    messages = []
    for engine in (None, dask_engine):
        with pytest.raises(NonNumericValueError) as raised:
            read_sorted_series(files, **options, map_items=mapper_for(engine))
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and "b.csv" in messages[0] and "oops" in messages[0]
