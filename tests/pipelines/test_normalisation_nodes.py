"""Normalisation nodes: the scaler sees the train split and nothing else."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import ColumnNotFoundError, MissingDataError, SettingsError
from lstm_pipeline.pipelines.normalisation.nodes import (
    find_split_ranges,
    fit_train_scaler,
    transform_splits,
)
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams


def series(n=1000):
    index = pd.date_range("2020-01-01", periods=n, freq="1h", name="timestamp")
    rng = np.random.default_rng(1)
    values = rng.normal(10, 3, size=(n, 3)).astype(np.float32)
    return pd.DataFrame(values, index=index, columns=["load", "temp", "wind"])


def test_scaler_saw_no_validation_or_test_row():
    data = series()
    # poison every row after the train split: any leak would move mean, std, min and max
    data.iloc[700:] = 1e6
    params = NormalisationParams(scaler="standard")
    ranges = find_split_ranges(data, params, "forecast", 0)
    fitted = fit_train_scaler(data, ranges, params, "forecast")
    train = data.iloc[:700].to_numpy(np.float64)
    np.testing.assert_allclose([fitted["center"][c] for c in data.columns], train.mean(axis=0))
    np.testing.assert_allclose([fitted["scale"][c] for c in data.columns], train.std(axis=0))
    assert max(s["max"] for s in fitted["statistics"].values()) < 1e3
    assert fitted["fitted_on"] == {
        "start": ranges["train"]["start"],
        "end": ranges["train"]["end"],
        "rows": 700,
    }
    train_out, val_out, test_out, report = transform_splits(data, ranges, fitted, "forecast")
    assert report["splits"]["val"] == {"rows": len(val_out), "unseen_categories": {}}
    assert train_out.index.max() < val_out.index.min()
    assert val_out.index.max() < test_out.index.min()
    assert len(train_out) + len(val_out) + len(test_out) == len(data)
    assert abs(train_out.mean()).max() < 1e-5


def test_pca_is_fitted_on_train_and_applied_to_every_split():
    data = series()
    rng = np.random.default_rng(2)
    data["wind"] += 0.8 * data["temp"]  # correlated, so the components are well defined
    # after the train split, a different correlation: a PCA that saw it would differ
    data.iloc[700:, 2] = (data.iloc[700:, 1] * -3 + rng.normal(0, 0.1, 300)).astype(np.float32)
    params = NormalisationParams(
        pca={"enabled": True, "columns": ["temp", "wind"], "n_components": 1}
    )
    ranges = find_split_ranges(data, params, "forecast", 0)
    fitted = fit_train_scaler(data, ranges, params, "forecast")
    outputs = transform_splits(data, ranges, fitted, "forecast")[:3]
    assert all(list(part.columns) == ["load", "pc_1"] for part in outputs)

    # oracle: scale the train rows with their own statistics, PCA by SVD of those rows alone
    train = data.iloc[:700][["temp", "wind"]].to_numpy(np.float64)
    scaled = (train - train.mean(axis=0)) / train.std(axis=0)
    _, singular, vt = np.linalg.svd(scaled - scaled.mean(axis=0), full_matrices=False)
    component = np.asarray(fitted["pca"]["components"][0])
    np.testing.assert_allclose(abs(component @ vt[0]), 1.0, atol=1e-9)  # same axis, any sign
    ratio = singular**2 / (singular**2).sum()
    np.testing.assert_allclose(fitted["pca"]["explained_variance_ratio"][0], ratio[0], rtol=1e-9)
    # every split is projected on that train component
    test = data.iloc[850:][["temp", "wind"]].to_numpy(np.float64)
    projected = ((test - train.mean(axis=0)) / train.std(axis=0) - scaled.mean(axis=0)) @ component
    np.testing.assert_allclose(outputs[2]["pc_1"].to_numpy(), projected, rtol=1e-4, atol=1e-4)


def test_pca_of_an_unknown_column_names_the_parameter_before_anything_is_fitted():
    data = series()
    params = NormalisationParams(pca={"enabled": True, "columns": ["temp", "rain"]})
    with pytest.raises(ColumnNotFoundError, match=r"'normalisation.pca.columns' names \['rain'\]"):
        find_split_ranges(data, params, "forecast", 0)


def test_a_column_without_a_value_in_the_train_split_is_refused_by_the_split():
    data = series()
    data.iloc[:700, 1] = np.nan  # 'temp' only has values after the train split
    with pytest.raises(MissingDataError, match="Column 'temp' has no value in the train split"):
        find_split_ranges(data, NormalisationParams(), "forecast", 0)


def test_split_fractions_that_do_not_add_up_are_refused():
    with pytest.raises(SettingsError, match=r"normalisation.split: .*must add up to 1"):
        NormalisationParams.model_validate({"split": {"train": 0.7, "val": 0.2, "test": 0.2}})


def test_timestamp_split_needs_ordered_timestamps():
    split = {"method": "timestamps", "val_start": "2021-01-01", "test_start": "2020-01-01"}
    with pytest.raises(SettingsError, match="normalisation.split: .*must come before"):
        NormalisationParams.model_validate({"split": split})
