"""`kedro run` on the real 14-day slice, in a throw-away copy of the project."""

import json
import lzma
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SLICE, SMALL_WINDOWS, TINY_TRAINING, copy_project, run_kedro

pytestmark = pytest.mark.slow


@pytest.fixture
def finished(project):
    """A project copy on which ingestion + normalisation ran successfully once."""
    result = run_kedro(project, "--pipelines=ingestion,normalisation")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


def test_ingestion_and_normalisation_write_every_artifact(finished_project):
    data = finished_project / "data"
    for artifact in (
        "02_intermediate/series.parquet",
        "08_reporting/ingestion_report.json",
        "04_feature/scaler.json",
        "04_feature/split_ranges.json",
        "04_feature/train_series.parquet",
        "04_feature/val_series.parquet",
        "04_feature/test_series.parquet",
    ):
        assert (data / artifact).is_file(), artifact

    series = pd.read_parquet(data / "02_intermediate/series.parquet")
    train = pd.read_parquet(data / "04_feature/train_series.parquet")
    val = pd.read_parquet(data / "04_feature/val_series.parquet")
    test = pd.read_parquet(data / "04_feature/test_series.parquet")
    scaler = json.loads((data / "04_feature/scaler.json").read_text())

    # standard scaler: the normalised train split has mean 0 and std 1 per feature ...
    np.testing.assert_allclose(train.mean(), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(ddof=0), 1, atol=1e-4)
    # ... and the scaler's statistics are those of the raw train rows
    raw_train = series.loc[: train.index[-1]].to_numpy(np.float64)
    np.testing.assert_allclose(
        [scaler["center"][c] for c in series.columns], raw_train.mean(axis=0), rtol=1e-9
    )
    np.testing.assert_allclose(
        [scaler["scale"][c] for c in series.columns], raw_train.std(axis=0), rtol=1e-9
    )
    assert scaler["fitted_on"]["end"] == str(train.index[-1])
    # chronological: train < val < test, nothing lost, nothing repeated
    assert train.index.max() < val.index.min() and val.index.max() < test.index.min()
    assert len(train) + len(val) + len(test) == len(series)

    report = json.loads((data / "08_reporting/ingestion_report.json").read_text())
    assert report["rows_read"] == 20160 and report["rows_written"] == len(series)


def test_garbage_value_fails_naming_the_column_and_keeps_the_previous_series(finished):
    series_path = finished / "data/02_intermediate/series.parquet"
    before = series_path.read_bytes()
    lines = lzma.decompress(SLICE.read_bytes()).decode().splitlines()
    lines[1234] = lines[1234].replace(",0.000,", ",n/a?,", 1)
    raw = finished / "data/01_raw/household_power" / SLICE.name
    raw.write_bytes(lzma.compress(("\n".join(lines) + "\n").encode()))

    result = run_kedro(finished, "--pipelines=ingestion,normalisation")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Column 'Sub_metering_1'" in output
    assert "line 1235 holds 'n/a?'" in output
    assert series_path.read_bytes() == before


def test_impossible_split_stops_before_any_node_runs(project):
    result = run_kedro(
        project, "--pipelines=ingestion,normalisation", "--params", "normalisation.split.train=0.9"
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Parameter 'normalisation'" in output and "must add up to 1" in output
    assert not (project / "data/02_intermediate/series.parquet").exists()


def test_nothing_travels_between_nodes_in_memory(project, monkeypatch):
    """kedro-airflow runs each node in its own process: every dataset must be a file (an
    undeclared one would be a MemoryDataset at run time; catalog.get gives None for it)."""
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    bootstrap_project(project)
    names = set().union(*(p.datasets() for p in pipelines.values()))
    with KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        in_memory = [
            n
            for n in names
            if not n.startswith("params:")
            and n != "parameters"
            and type(catalog.get(n)).__name__ in ("MemoryDataset", "NoneType")
        ]
    assert in_memory == []


def test_the_default_pipeline_runs_every_stage(project, monkeypatch):
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    bootstrap_project(project)
    assert {"ingestion", "normalisation", "__default__"} <= set(pipelines)
    from lstm_pipeline.pipeline_registry import ON_DEMAND

    stages = set(pipelines) - {"__default__", *ON_DEMAND}
    default_nodes = {n.name for n in pipelines["__default__"].nodes}
    assert default_nodes == {n.name for s in stages for n in pipelines[s].nodes}


def test_windowing_writes_shards_that_make_dataset_reads(finished_project):
    """The shared finished run windowed 24 hours in, 6 out (tests.conftest.TINY)."""
    from lstm_pipeline import make_dataset

    folder = finished_project / "data/05_model_input"
    train = pd.read_parquet(finished_project / "data/04_feature/train_series.parquet")
    for split in ("train", "val", "test"):
        manifest = json.loads((folder / f"{split}_shards/manifest.json").read_text())
        assert manifest["input_length"] == 24 and manifest["horizon"] == 6
        assert manifest["format"] == "hdf5" and manifest["layout"] == "segments"
        assert manifest["parameters"]["targets"] == ["Global_active_power"]
        x, y = zip(*make_dataset(folder / f"{split}_shards", 32, shuffle=False), strict=True)
        assert sum(len(b) for b in x) == manifest["windows_total"] > 0
        assert y[0].shape[1:] == (6, 1)
    first = next(iter(make_dataset(folder / "train_shards", 1, shuffle=False)))[0].numpy()[0]
    np.testing.assert_array_equal(first, train.iloc[:24].to_numpy(np.float32))


def test_a_window_too_long_for_one_split_replaces_no_shards(finished):
    assert run_kedro(finished, "--pipelines=windowing", "--params", SMALL_WINDOWS).returncode == 0
    folder = finished / "data/05_model_input"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # train has 235 hourly rows, val and test about 50 (and 24 before them as inputs): a
    # 60-step horizon fits train only
    params = "windowing.input_length=24,windowing.horizon=60"
    result = run_kedro(finished, "--pipelines=windowing", "--params", params)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "more than the" in output and "val_series.parquet" in output
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_modelling_and_training_write_a_model_that_loads_safely(finished_project, tmp_path):
    import keras

    data = finished_project / "data"
    summary = json.loads((data / "08_reporting/model_summary.json").read_text())
    assert summary["input_shape"] == [None, 24, 7] and summary["output_shape"] == [None, 6, 1]
    assert summary["layers"][0]["cudnn"]["eligible"] is True
    report = json.loads((data / "08_reporting/training_history.json").read_text())
    assert len(report["history"]["loss"]) == 2
    assert all(s > 0 for s in report["history"]["samples_per_s"])
    assert report["effective_batch_size"] == 16
    assert list((data / "07_model_output/tensorboard").rglob("events.out.tfevents.*"))
    model = keras.saving.load_model(data / "06_models/model.keras", safe_mode=True)
    assert model.predict(np.zeros((1, 24, 7), np.float32), verbose=0).shape == (1, 6, 1)

    copy = copy_project(finished_project, tmp_path / "again")
    again = run_kedro(copy, "--pipelines=training", "--params", TINY_TRAINING)
    assert again.returncode == 0
    assert "already finished" in again.stdout + again.stderr


def test_planning_table_and_plot_and_auto_batch_size(finished):
    # list values on the command line (the project's own `kedro run` keeps them whole)
    tiny = (
        f"{SMALL_WINDOWS},modelling.recurrent.units=[4],training.epochs=1,"
        "training.batch_size=auto,training.memory_budget_mb=100000,training.auto_batch_sizes=[8],"
        "planning.input_lengths=[24],planning.batch_sizes=[16,8],planning.memory_budget_mb=100000,"
        "planning.steps=1"
    )
    result = run_kedro(
        finished, "--pipelines=windowing,modelling,planning,training", "--params", tiny
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = finished / "data"
    plan = json.loads((data / "08_reporting/batch_plan.json").read_text())
    assert [p["batch_size"] for p in plan["grid"]] == [8, 16] and plan["best"] == {"24": 16}
    assert (data / "08_reporting/batch_plan.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((data / "08_reporting/model_summary.json").read_text())
    assert summary["spec"]["recurrent"]["units"] == [4]
    report = json.loads((data / "08_reporting/training_history.json").read_text())
    assert report["settings"]["batch_size"] == 8  # planned: the only candidate, within budget
    planned = json.loads((data / "06_models/planned_batch_size.json").read_text())
    assert planned["batch_size"] == 8 and planned["planned"] is True


def test_the_long_sequence_environment_is_valid_and_keeps_the_minute_grid():
    from kedro.config import OmegaConfigLoader

    from lstm_pipeline.models import ModelSpec
    from lstm_pipeline.pipelines.ingestion.params import IngestionParams
    from lstm_pipeline.pipelines.windowing.params import WindowingParams
    from lstm_pipeline.settings import CONFIG_LOADER_ARGS
    from lstm_pipeline.trainer.config import TrainingConfig
    from tests.conftest import REPO

    loader = OmegaConfigLoader(
        str(REPO / "conf"), **{**CONFIG_LOADER_ARGS, "default_run_env": "long_sequence"}
    )
    params = loader["parameters"]
    assert IngestionParams(**params["ingestion"]).resample is None
    windowing = WindowingParams(**params["windowing"])
    assert windowing.resolved_layout() == "segments"
    training = TrainingConfig(**params["training"])
    assert training.tbptt.enabled and training.tbptt.streams == 64
    assert ModelSpec(**params["modelling"]).architecture in ("lstm", "gru")


def test_the_default_run_ends_with_metrics_predictions_plots_and_report(project):
    import pyarrow.parquet as pq

    result = run_kedro(project, "--params", TINY_TRAINING)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    reporting = project / "data/08_reporting"
    metrics = json.loads((reporting / "metrics.json").read_text())
    assert set(metrics["baselines"]) == {"persistence", "seasonal_naive", "drift", "train_mean"}
    assert len(metrics["model"]["per_horizon_step"]["mae"]) == 6
    predictions = pd.read_parquet(project / "data/07_model_output/predictions.parquet")
    assert len(predictions) == metrics["windows"] * 6
    for plot in (
        "learning_curves",
        "forecast_windows",
        "one_step",
        "error_by_horizon",
        "residuals",
    ):
        assert (reporting / f"plots/{plot}.png").read_bytes()[:4] == b"\x89PNG", plot
        assert json.loads((reporting / f"plots/{plot}.plotly.json").read_text())["data"], plot
    report = (reporting / "report.md").read_text()
    assert metrics["task"] == "forecast"
    assert "| seasonal_naive |" in report and "(plots/forecast_windows.png)" in report
    # the verdict and the units come from metrics.json's numbers
    assert metrics["units"] == {"Global_active_power": "kW"}
    assert "| forecaster | MAE (kW) | RMSE (kW) |" in report
    model_mae = metrics["model"]["per_target"]["Global_active_power"]["mae"]
    baseline = metrics["baselines"]["persistence"]["per_target"]["Global_active_power"]["mae"]
    outcome = "beats" if model_mae < baseline else "loses to"
    margin = abs(model_mae - baseline)
    assert f"the model {outcome} persistence on MAE by {margin:.4f} kW" in report
    # the stage record is written last, from outputs of the same run
    record = json.loads((reporting / "evaluation_record.json").read_text())
    assert record["windows"] == metrics["windows"]
    assert record["per_target"]["Global_active_power"]["model"]["mae"] == model_mae
    assert record["artifacts"]["predictions"]["rows"] == len(predictions)
    table = pq.read_schema(project / "data/07_model_output/predictions.parquet")
    predictions_lineage = json.loads(table.metadata[b"lstm_pipeline.lineage"])
    generations = {metrics["lineage"]["generation"], record["lineage"]["generation"]}
    assert generations == {predictions_lineage["generation"]}
    # nothing written beside the catalog's files: no temporaries left
    assert not [p for p in (project / "data").rglob("*") if ".tmp-" in p.name]


def test_a_killed_training_run_resumes_to_the_same_weights(finished, tmp_path):
    """SIGKILL the `kedro run` mid-training, run the same command again, and compare with a
    run never interrupted (in a copy of the project)."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    import keras

    params = (
        f"{TINY_TRAINING},training.epochs=12,training.checkpoint_every_steps=2,"
        "training.early_stopping_patience=100"
    )
    prepared = run_kedro(finished, "--pipelines=windowing,modelling", "--params", params)
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    twin = tmp_path / "twin"
    shutil.copytree(finished, twin)

    state = finished / "data/06_models/checkpoints/state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--pipelines=training", "--params", params],
        cwd=finished,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads(state.read_text())["epoch"] >= 3:
                break
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not json.loads(state.read_text())["finished"]
    assert not (finished / "data/06_models/model.keras").exists()

    resumed = run_kedro(finished, "--pipelines=training", "--params", params)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout + resumed.stderr
    uninterrupted = run_kedro(twin, "--pipelines=training", "--params", params)
    assert uninterrupted.returncode == 0

    a = keras.saving.load_model(finished / "data/06_models/model.keras", safe_mode=True)
    b = keras.saving.load_model(twin / "data/06_models/model.keras", safe_mode=True)
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    leftover = re.compile(r"^\..+\.(tmp|old)-\d+-[0-9a-f]{8}")
    assert [p for p in (finished / "data").rglob("*") if leftover.match(p.name)] == []
    history = json.loads((finished / "data/08_reporting/training_history.json").read_text())
    twin_history = json.loads((twin / "data/08_reporting/training_history.json").read_text())
    assert history["history"]["val_loss"] == twin_history["history"]["val_loss"]


def test_a_run_without_validation_monitors_the_training_loss(project):
    off = ",normalisation.split.train=0.85,normalisation.split.val=0.0"
    result = run_kedro(project, "--params", TINY_TRAINING + off)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = project / "data"
    assert len(pd.read_parquet(data / "04_feature/val_series.parquet")) == 0
    ranges = json.loads((data / "04_feature/split_ranges.json").read_text())
    assert ranges["val"]["rows"] == 0 and ranges["train"]["stop_row"] == ranges["test"]["start_row"]
    manifest = json.loads((data / "05_model_input/val_shards/manifest.json").read_text())
    assert manifest["windows_total"] == 0
    history = json.loads((data / "08_reporting/training_history.json").read_text())
    assert history["monitor"] == "loss" and history["val_windows"] == 0
    assert "val_loss" not in history["history"]
    assert "best loss" in (data / "08_reporting/report.md").read_text()
    metrics = json.loads((data / "08_reporting/metrics.json").read_text())
    assert metrics["model"]["overall"]["mae"] > 0
