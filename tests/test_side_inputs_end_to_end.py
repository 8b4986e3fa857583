"""Side inputs through every stage: calendar features as a second input over the forecast
horizon (hourly household power), and the series identity as a learned embedding (stocks)."""

import json
import shutil

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.windows.reader import ShardSet, make_dataset
from tests.conftest import REPO, TINY, new_project, run_in_process


def test_calendar_features_reach_the_model_over_the_horizon(tmp_path):
    project = new_project(tmp_path)
    params = {
        **TINY,
        "normalisation": {"calendar_features": ["hour_of_day", "day_of_week"]},
        "windowing": {**TINY["windowing"], "future_features": "calendar"},
    }
    run_in_process(project, params=params)
    data = project / "data"
    record = json.loads((data / "05_model_input" / "windowing_record.json").read_text())
    calendar = ["hour_of_day_sin", "hour_of_day_cos", "day_of_week_sin", "day_of_week_cos"]
    assert record["future_columns"] == calendar
    assert record["side_inputs"] == {"future": 4, "series": 0}
    model = keras.saving.load_model(data / "06_models" / "model.keras", safe_mode=True)
    shapes = {t.name: tuple(t.shape[1:]) for t in model.inputs}
    assert shapes == {"inputs": (24, 11), "future": (6, 4)}
    test = ShardSet(data / "05_model_input" / "test_shards")
    predictions = pd.read_parquet(data / "07_model_output" / "predictions.parquet")
    assert len(predictions) == test.windows_total * 6
    assert np.isfinite(predictions["predicted"]).all()
    report = (data / "08_reporting" / "report.md").read_text()
    assert "- known ahead: 4 columns over the 6 forecast steps" in report


def test_the_series_identity_is_learned_as_an_embedding(tmp_path):
    """`-e stocks` with ``series_input: embedding``: no one-hot columns, each window carries
    its stock's code (the order of the manifest's series_windows), and the model learns a
    vector per stock."""
    project = new_project(tmp_path)
    stocks = REPO / "data" / "01_raw" / "stocks"
    shutil.copytree(stocks, project / "data" / "01_raw" / "stocks")
    params = {"normalisation": {"series_input": "embedding"}, "training": {"epochs": 1}}
    run_in_process(project, params=params, env="stocks")
    out = project / "data" / "stocks"
    train = pd.read_parquet(out / "04_feature" / "train_series.parquet")
    assert not [c for c in train.columns if c.startswith("series=")]
    names = json.loads((out / "04_feature" / "scaler.json").read_text())["series"]["names"]
    shards = ShardSet(out / "05_model_input" / "train_shards")
    expected = np.concatenate(
        [np.full(count, names.index(name)) for name, count in shards.manifest.series_windows]
    )
    codes = np.concatenate(
        [x["series"].numpy() for x, _ in make_dataset(shards, 256, shuffle=False)]
    )
    np.testing.assert_array_equal(codes, expected)
    model = keras.saving.load_model(out / "06_models" / "model.keras", safe_mode=True)
    assert model.get_layer("series_embedding").input_dim == len(names)
    predictions = pd.read_parquet(out / "07_model_output" / "predictions.parquet")
    assert set(predictions["series"]) == {n for n, c in shards.manifest.series_windows if c}
    report = (out / "08_reporting" / "report.md").read_text()
    assert "- series identity: a learned embedding of width 4" in report
    metrics = json.loads((out / "08_reporting" / "metrics.json").read_text())
    assert metrics["model"]["overall"]["mae"] == pytest.approx(
        (predictions["predicted"] - predictions["actual"]).abs().mean(), rel=1e-9
    )
