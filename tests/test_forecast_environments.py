"""The shipped forecasting environments, each through every stage on its bundled data."""

import json
import shutil

import pandas as pd
import pytest

from tests.conftest import REPO, new_project, run_in_process


@pytest.fixture
def airline_project(tmp_path):
    project = new_project(tmp_path)
    raw = project / "data" / "01_raw" / "airline"
    raw.mkdir(parents=True)
    shutil.copy(REPO / "data" / "01_raw" / "airline" / "Airline.csv", raw / "Airline.csv")
    return project


def test_airline_runs_monthly_and_reproduces_the_published_seasonal_naive_mape(airline_project):
    """`kedro run -e airline`: month-start steps from ingestion to the report; the one test
    window starts at the last train month and seasonal naive repeats the last 12 months
    (MAPE 0.13189, the sktime tutorial's figure)."""
    run_in_process(airline_project, params={"training": {"epochs": 2}}, env="airline")
    out = airline_project / "data" / "airline"
    ingestion = json.loads((out / "08_reporting" / "ingestion_report.json").read_text())
    assert ingestion["frequency"] == {"native": "MS", "output": "MS", "regular": True}
    manifest = json.loads((out / "05_model_input" / "test_shards" / "manifest.json").read_text())
    assert manifest["frequency"] == "MS" and manifest["windows_total"] == 1
    predictions = pd.read_parquet(out / "07_model_output" / "predictions.parquet")
    assert set(predictions["window_end"]) == {pd.Timestamp("1957-12-01")}
    assert predictions["horizon_step"].tolist() == list(range(1, 37))
    raw = pd.read_csv(REPO / "data" / "01_raw" / "airline" / "Airline.csv")
    expected = raw["Passengers"].iloc[96:108].tolist() * 3  # the last train year, repeated
    assert predictions["seasonal_naive"].round(3).tolist() == expected
    assert predictions["actual"].round(3).tolist() == raw["Passengers"].iloc[108:].tolist()
    metrics = json.loads((out / "08_reporting" / "metrics.json").read_text())
    mape = metrics["baselines"]["seasonal_naive"]["overall"]["mape"]
    assert mape == pytest.approx(0.13189, abs=5e-6)
