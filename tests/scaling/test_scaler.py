"""Scalers: statistics, constant columns, inverse transform, PCA."""

import logging

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import MissingDataError
from lstm_pipeline.scaling.scaler import Scaler, fit_pca, fit_scaler

RNG = np.random.default_rng(0)


def frame(n=5000, **columns):
    index = pd.date_range("2020-01-01", periods=n, freq="1min")
    data = columns or {
        "a": RNG.normal(5, 2, n),
        "b": RNG.exponential(3, n),
    }
    return pd.DataFrame({k: np.asarray(v, dtype=np.float32) for k, v in data.items()}, index=index)


def test_standard_statistics_equal_numpy_over_chunks():
    data = frame()
    data.iloc[10:20, 0] = np.nan
    fitted = fit_scaler(data, "standard", ["a", "b"], chunk_rows=777)
    a = data["a"].to_numpy(np.float64)
    assert fitted["center"]["a"] == pytest.approx(np.nanmean(a), rel=1e-12)
    assert fitted["scale"]["a"] == pytest.approx(np.nanstd(a), rel=1e-10)
    scaled = Scaler(fitted).transform(data)
    assert scaled.dtypes.unique().tolist() == [np.float32]
    assert scaled["a"].mean() == pytest.approx(0, abs=1e-5)
    assert scaled["a"].std(ddof=0) == pytest.approx(1, abs=1e-4)


def test_minmax_maps_the_range_to_unit_interval():
    data = frame()
    fitted = fit_scaler(data, "minmax", ["a", "b"])
    scaled = Scaler(fitted).transform(data)
    assert scaled["b"].min() == pytest.approx(0) and scaled["b"].max() == pytest.approx(1)


def test_robust_uses_median_and_iqr():
    data = frame()
    fitted = fit_scaler(data, "robust", ["b"])
    q1, median, q3 = np.percentile(data["b"].to_numpy(np.float64), [25, 50, 75])
    assert fitted["center"]["b"] == pytest.approx(median)
    assert fitted["scale"]["b"] == pytest.approx(q3 - q1)


def test_constant_column_is_named_and_does_not_divide_by_zero(caplog):
    data = frame(n=100, flat=np.full(100, 3.0), moving=np.arange(100.0))
    with caplog.at_level(logging.WARNING):
        fitted = fit_scaler(data, "standard", ["flat", "moving"])
    assert "flat" in caplog.text and "moving" not in caplog.text
    assert fitted["constant_columns"] == ["flat"]
    scaled = Scaler(fitted).transform(data)
    assert np.isfinite(scaled["flat"]).all() and (scaled["flat"] == 0).all()


def test_inverse_transform_round_trips():
    data = frame()
    for method in ("standard", "minmax", "robust", "none"):
        scaler = Scaler(fit_scaler(data, method, ["a", "b"]))
        scaled = scaler.transform(data)
        back = scaler.inverse_transform(scaled[["b"]].to_numpy(), ["b"])
        np.testing.assert_allclose(back[:, 0], data["b"].to_numpy(), rtol=1e-5, atol=1e-5)


def test_a_column_missing_in_every_train_row_is_named():
    data = frame(n=10, a=np.full(10, np.nan), b=np.arange(10.0))
    with pytest.raises(MissingDataError, match="Column 'a' has no value in the train split"):
        fit_scaler(data, "standard", ["a", "b"])


def test_pca_keeps_enough_components_and_replaces_its_columns():
    n = 4000
    base = RNG.normal(size=n)
    data = frame(
        n=n,
        target=RNG.normal(size=n),
        x1=base + 0.01 * RNG.normal(size=n),
        x2=2 * base + 0.01 * RNG.normal(size=n),
        x3=-base + 0.01 * RNG.normal(size=n),
    )
    fitted = fit_scaler(data, "standard", list(data.columns))
    scaler = Scaler(fitted)
    fitted["pca"] = fit_pca(scaler.scale(data), ["x1", "x2", "x3"], None, 0.95)
    assert fitted["pca"]["output_columns"] == ["pc_1"]  # three copies of one signal
    assert fitted["pca"]["explained_variance_ratio"][0] > 0.99
    reduced = Scaler(fitted).transform(data)
    assert list(reduced.columns) == ["target", "pc_1"]
    np.testing.assert_allclose(reduced["target"], scaler.scale(data)["target"])
