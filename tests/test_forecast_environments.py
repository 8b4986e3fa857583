"""The shipped forecasting environments, each through every stage on its bundled data."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, new_project, run_in_process


def project_with(tmp_path, raw_folder: str):
    """A throw-away project holding the bundled raw folder ``raw_folder``."""
    project = new_project(tmp_path)
    shutil.copytree(REPO / "data" / "01_raw" / raw_folder, project / "data" / "01_raw" / raw_folder)
    return project


@pytest.fixture
def airline_project(tmp_path):
    return project_with(tmp_path, "airline")


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
    assert metrics["frequency"] == "MS"
    report = (out / "08_reporting" / "report.md").read_text()
    assert "one step: month, `MS`" in report and "copies the value 12 months before" in report


def test_seattle_weather_takes_date_parts_and_a_text_category(tmp_path):
    """`kedro run -e seattle_weather`: the date from year/month/day columns, the weather
    text one-hot encoded on the train split's categories, weekly test windows, and seasonal
    naive the same day a year earlier (checked against pandas' own time shift)."""
    project = project_with(tmp_path, "seattle_weather")
    run_in_process(project, params={"training": {"epochs": 1}}, env="seattle_weather")
    out = project / "data" / "seattle_weather"
    ingestion = json.loads((out / "08_reporting" / "ingestion_report.json").read_text())
    assert ingestion["categories"] == {"weather": ["drizzle", "rain", "sun", "snow", "fog"]}
    assert ingestion["frequency"]["output"] == "D"
    test = pd.read_parquet(out / "04_feature" / "test_series.parquet")
    weather = ["drizzle", "fog", "rain", "snow", "sun", "other"]
    assert [c for c in test.columns if c.startswith("weather=")] == [
        f"weather={w}" for w in weather
    ]
    report = json.loads((out / "08_reporting" / "normalisation_report.json").read_text())
    assert report["splits"]["test"] == {"rows": 365, "unseen_categories": {"weather": {}}}
    predictions = pd.read_parquet(out / "07_model_output" / "predictions.parquet")
    ends = sorted(set(predictions["window_end"]))
    assert len(ends) == 52 and ends[0] == pd.Timestamp("2014-12-31")
    assert all(b - a == pd.Timedelta(days=7) for a, b in zip(ends, ends[1:], strict=False))
    raw = pd.read_csv(project / "data" / "01_raw" / "seattle_weather" / "seattle_weather.csv")
    days = pd.to_datetime(raw[["year", "month", "day"]])
    year_ago = pd.Series(raw["temp_max"].to_numpy(), index=days).shift(365, freq="D")
    target_days = predictions["window_end"] + pd.to_timedelta(predictions["horizon_step"], "D")
    expected = year_ago.reindex(target_days).to_numpy()
    np.testing.assert_allclose(predictions["seasonal_naive"], expected, atol=1e-4)
