"""Many series in one run: read, split, scaled and windowed each on its own (the bundled
monthly stock prices: five series in one long table)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, new_project, run_in_process

STOCKS = REPO / "data" / "01_raw" / "stocks" / "stocks.csv"


@pytest.fixture(scope="module")
def stocks_run(tmp_path_factory):
    """ingestion, normalisation and windowing of `-e stocks`."""
    project = new_project(tmp_path_factory.mktemp("stocks"))
    shutil.copytree(STOCKS.parent, project / "data" / "01_raw" / "stocks")
    for stage in ("ingestion", "normalisation", "windowing"):
        run_in_process(project, stage, env="stocks")
    return project / "data" / "stocks"


def raw_prices() -> pd.DataFrame:
    raw = pd.read_csv(STOCKS)
    raw["date"] = pd.to_datetime(raw["date"], format="%b %d %Y")
    return raw


def test_each_series_is_read_on_its_own_grid(stocks_run):
    report = json.loads((stocks_run / "08_reporting" / "ingestion_report.json").read_text())
    names = report["series"]["names"]
    assert names == ["MSFT", "AMZN", "IBM", "GOOG", "AAPL"]  # first seen first
    rows = {name: report["series"]["per_series"][name]["rows_written"] for name in names}
    assert rows == raw_prices()["symbol"].value_counts().to_dict()
    series = pd.read_parquet(stocks_run / "02_intermediate" / "series.parquet")
    for code, name in enumerate(names):
        own = series[series["series"] == code]
        raw = raw_prices().set_index("date")
        expected = raw.loc[raw["symbol"] == name, "price"]
        np.testing.assert_allclose(own["price"], expected.sort_index(), rtol=1e-6)


def test_each_series_is_scaled_by_its_own_train_rows(stocks_run):
    scaler = json.loads((stocks_run / "04_feature" / "scaler.json").read_text())
    raw = raw_prices()
    for name, fitted in scaler["per_series"].items():
        own = raw[(raw["symbol"] == name) & (raw["date"] < "2008-03-01")]
        train = own["price"].to_numpy()
        assert fitted["center"]["price"] == pytest.approx(train.mean(), rel=1e-6)
        assert fitted["scale"]["price"] == pytest.approx(train.std(), rel=1e-6)
        assert fitted["fitted_on"]["rows"] == len(train)


def test_windows_never_cross_a_series_and_are_counted_per_series(stocks_run):
    from lstm_pipeline import make_dataset

    raw = raw_prices()
    for split, stride in (("train", 1), ("test", 6)):
        folder = stocks_run / "05_model_input" / f"{split}_shards"
        manifest = json.loads((folder / "manifest.json").read_text())
        span = 24 + 6
        for name, windows in manifest["series_windows"]:
            dates = raw.loc[raw["symbol"] == name, "date"]
            rows = (dates < "2008-03-01").sum() if split == "train" else 25 + 24  # context
            assert windows == (rows - span) // stride + 1
        identity = [manifest["feature_columns"].index(f"series={n}") for n in ("MSFT", "GOOG")]
        for inputs, _ in make_dataset(folder, 64, shuffle=False):
            onehot = inputs.numpy()[:, :, identity]
            # every window holds one series from its first to its last step
            assert (onehot.min(axis=1) == onehot.max(axis=1)).all()


def test_a_series_too_short_to_split_is_skipped_and_named(stocks_run):
    from lstm_pipeline.pipelines.normalisation.nodes import find_split_ranges
    from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
    from lstm_pipeline.scaling.split import take

    series = pd.read_parquet(stocks_run / "02_intermediate" / "series.parquet")
    split = {"method": "timestamps", "val_start": None, "test_start": "2008-03-01"}
    params = NormalisationParams(split={**split, "min_train_rows": 60})
    ranges = find_split_ranges(series, params, "forecast", 0)
    assert list(ranges["skipped"]) == ["GOOG"]  # 43 train months
    assert "fewer than 'normalisation.split.min_train_rows' = 60" in ranges["skipped"]["GOOG"]
    assert set(take(series, ranges, "test")["series"]) == {0.0, 1.0, 2.0, 4.0}
