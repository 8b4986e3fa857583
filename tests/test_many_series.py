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
        # the code column keeps the series apart and is never a model input (one-hot is)
        assert "series" not in manifest["feature_columns"]
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


def test_each_series_is_scored_in_its_own_units_against_its_own_past(tmp_path):
    """`kedro run -e stocks` end to end: actuals back in each stock's dollars, seasonal naive
    the same stock's price 12 months before, metrics per series equal to pandas on the
    predictions table, and their mean."""
    project = new_project(tmp_path)
    shutil.copytree(STOCKS.parent, project / "data" / "01_raw" / "stocks")
    run_in_process(project, params={"training": {"epochs": 2}}, env="stocks")
    out = project / "data" / "stocks"
    predictions = pd.read_parquet(out / "07_model_output" / "predictions.parquet")
    prices = raw_prices().set_index(["symbol", "date"])["price"]
    target_month = [
        end + pd.DateOffset(months=int(step))
        for end, step in zip(predictions["window_end"], predictions["horizon_step"], strict=True)
    ]
    keys = list(zip(predictions["series"], target_month, strict=True))
    np.testing.assert_allclose(predictions["actual"], prices.loc[keys].to_numpy(), rtol=1e-5)
    year_ago = [(s, m - pd.DateOffset(months=12)) for s, m in keys]
    np.testing.assert_allclose(
        predictions["seasonal_naive"], prices.loc[year_ago].to_numpy(), rtol=1e-5
    )
    metrics = json.loads((out / "08_reporting" / "metrics.json").read_text())
    errors = (predictions["predicted"] - predictions["actual"]).abs()
    per_series = errors.groupby(predictions["series"]).mean()
    for name, mae in per_series.items():
        assert metrics["series"][name]["model"]["mae"] == pytest.approx(mae, rel=1e-9)
    assert metrics["series_mean"]["model"]["mae"] == pytest.approx(per_series.mean(), rel=1e-9)
    assert metrics["model"]["overall"]["mae"] == pytest.approx(errors.mean(), rel=1e-9)
    assert "## Per series" in (out / "08_reporting" / "report.md").read_text()


def test_one_file_per_series_reads_as_the_long_table_does(tmp_path):
    from lstm_pipeline.ingest.cleaning import MissingSpec
    from lstm_pipeline.ingest.many import make_many_regular, read_many_series
    from lstm_pipeline.ingest.timestamps import TimestampSpec

    raw = pd.read_csv(STOCKS)
    for symbol in ("IBM", "AAPL"):
        raw[raw["symbol"] == symbol].drop(columns="symbol").to_csv(tmp_path / f"{symbol}.csv")
    stamp = TimestampSpec(column="date", date_column=None, time_column=None, format="%b %d %Y")
    options = {"timestamp": stamp, "features": ["price"], "targets": ["price"]}
    options |= {"missing_markers": [], "chunk_rows": 50, "csv_options": {}}
    files = sorted(tmp_path.glob("*.csv"))
    frame, report = read_many_series(
        files,
        series_id=None,
        per_file=True,
        read_options=options,
        duplicates="error",
        max_timestamp_gap=None,
    )
    assert report["series"]["names"] == ["AAPL", "IBM"]
    series, _ = make_many_regular(
        frame, report, frequency=None, missing=MissingSpec(), resampling=None
    )
    assert series.attrs["series"] == [["AAPL", 123], ["IBM", 123]]
    ibm = raw[raw["symbol"] == "IBM"]["price"].to_numpy()
    np.testing.assert_allclose(series[series["series"] == 1]["price"], ibm, rtol=1e-6)


def test_a_series_shorter_than_a_window_is_listed_with_none_and_named(stocks_run, caplog):
    from lstm_pipeline.windows.many import ManySeries
    from lstm_pipeline.windows.series import ParquetSeries
    from lstm_pipeline.windows.spec import WindowSpec
    from lstm_pipeline.windows.writing import WindowingJob

    train = ParquetSeries(stocks_run / "04_feature" / "train_series.parquet")
    job = WindowingJob(
        source=ManySeries(train), spec=WindowSpec(60, 6), features=["price"], targets=["price"]
    )
    manifest = job.write(stocks_run / "long_windows")
    assert dict(manifest["series_windows"])["GOOG"] == 0  # 43 train months < 66
    assert manifest["windows_total"] == 4 * (98 - 66 + 1)
    assert "series ['GOOG'] hold no complete window and are skipped" in caplog.text


def test_truncated_bptt_refuses_shards_of_many_series(stocks_run):
    from lstm_pipeline.errors import WindowingError
    from lstm_pipeline.windows.reader import ShardSet
    from lstm_pipeline.windows.streams import StreamLayout

    shards = ShardSet(stocks_run / "05_model_input" / "train_shards")
    with pytest.raises(WindowingError, match=r"holds 5 series \(MSFT, AMZN, IBM, GOOG, AAPL\)"):
        StreamLayout(shards, chunk_length=12, streams=2)


def test_a_row_without_its_series_is_refused_naming_the_line(tmp_path):
    from lstm_pipeline.errors import MissingDataError
    from lstm_pipeline.ingest.many import read_many_series
    from lstm_pipeline.ingest.timestamps import TimestampSpec

    path = tmp_path / "two.csv"
    path.write_text("symbol,date,price\nA,Jan 1 2000,1\n,Feb 1 2000,2\nA,Mar 1 2000,3\n")
    stamp = TimestampSpec(column="date", date_column=None, time_column=None, format="%b %d %Y")
    options = {"timestamp": stamp, "features": None, "targets": ["price"]}
    options |= {"missing_markers": [""], "chunk_rows": 50, "csv_options": {}}
    with pytest.raises(MissingDataError, match=r"'symbol' is missing at .*two.csv line 3"):
        read_many_series(
            [path],
            series_id="symbol",
            per_file=False,
            read_options=options,
            duplicates="error",
            max_timestamp_gap=None,
        )
