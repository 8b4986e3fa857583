"""Forecast metrics against hand-computed values; the airline sanity check (classification:
test_classification.py)."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.evaluation.history import TargetHistory
from lstm_pipeline.evaluation.metrics import ForecastErrors, seasonal_naive_scale
from tests.conftest import REPO


def test_forecast_metrics_match_hand_computed_values():
    # 2 windows x 2 horizon steps x 1 target
    actual = np.array([[[2.0], [0.0]], [[4.0], [1.0]]])
    forecast = np.array([[[3.0], [1.0]], [[2.0], [1.0]]])
    errors = ForecastErrors(horizon=2, targets=1)
    errors.update(actual, forecast)
    result = errors.summary(mase_scale=np.array([2.0]))
    # errors: +1, +1, -2, 0
    assert result["mae"] == pytest.approx(1.0)
    assert result["rmse"] == pytest.approx(np.sqrt(6 / 4))
    # MAPE leaves out the zero actual: (1/2 + 2/4 + 0/1) / 3
    assert result["mape"] == pytest.approx(1 / 3)
    assert result["zero_actuals_excluded_from_mape"] == 1
    # sMAPE: 2|e|/(|a|+|f|): 2/5, 2/1, 4/6, 0/2
    assert result["smape"] == pytest.approx((0.4 + 2 + 4 / 6 + 0) / 4)
    assert result["mase"] == pytest.approx(0.5)
    per_step = errors.summary(np.array([2.0]), axis=1)
    assert per_step["mae"] == pytest.approx([1.5, 0.5])


def test_seasonal_naive_scale_skips_missing_pairs():
    values = np.array([1.0, 2.0, 4.0, np.nan, 7.0])
    # period 2: |4-1|, |nan-2| skipped, |7-4|
    assert seasonal_naive_scale(values, 2) == (6.0, 2)


def test_airline_seasonal_naive_mape_through_the_project_code(tmp_path):
    """../shared/data/README.md: seasonal naive over the last 36 months, fitted on the first
    108, gives MAPE 0.13189."""
    from lstm_pipeline import make_dataset
    from lstm_pipeline.evaluation.predicting import window_end_ns
    from lstm_pipeline.ingest.cleaning import order_and_deduplicate
    from lstm_pipeline.ingest.reading import TimestampSpec, read_raw_files
    from lstm_pipeline.scaling.split import split_by_timestamps, take
    from lstm_pipeline.windows.reader import ShardSet
    from lstm_pipeline.windows.series import ParquetSeries
    from lstm_pipeline.windows.spec import WindowSpec
    from lstm_pipeline.windows.writing import WindowingJob

    table = read_raw_files(
        [REPO / "tests/data/airline.csv"],
        timestamp=TimestampSpec(column="Date", date_column=None, time_column=None, format="%Y-%m"),
        features=None,
        targets=["Passengers"],
        missing_markers=[],
    )
    frame, _ = order_and_deduplicate(table, "error")
    assert len(frame) == 144
    plan = split_by_timestamps(frame.index, "1957-01-01", "1958-01-01", min_train_rows=12)
    fitted = pd.concat([take(frame, plan, "train"), take(frame, plan, "val")])
    test = take(frame, plan, "test")
    assert len(fitted) == 108 and len(test) == 36
    # one window: the last 12 fitted months in, the 36 test months out
    path = tmp_path / "series.parquet"
    pd.concat([fitted.iloc[-12:], test]).to_parquet(path)
    WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(12, 36),
        features=["Passengers"],
        targets=["Passengers"],
        fmt="hdf5",
        layout="windows",
    ).write(tmp_path / "shards")
    _, actual = next(iter(make_dataset(tmp_path / "shards", 1, shuffle=False)))
    history = TargetHistory([ParquetSeries(path)], ["Passengers"])
    ends = window_end_ns(ShardSet(tmp_path / "shards"))
    forecast = history.seasonal_naive(ends, np.arange(1, 37), 12)
    errors = ForecastErrors(36, 1)
    errors.update(actual.numpy(), forecast)
    assert errors.summary(np.ones(1))["mape"] == pytest.approx(0.13189, abs=5e-6)
