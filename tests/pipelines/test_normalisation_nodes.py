"""Normalisation nodes: the scaler sees the train split and nothing else."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from lstm_pipeline.errors import ColumnNotFoundError
from lstm_pipeline.pipelines.normalisation.nodes import (
    fit_train_scaler,
    plan_split,
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
    plan = plan_split(data, params)
    fitted = fit_train_scaler(data, plan, params)
    train = data.iloc[:700].to_numpy(np.float64)
    np.testing.assert_allclose([fitted["center"][c] for c in data.columns], train.mean(axis=0))
    np.testing.assert_allclose([fitted["scale"][c] for c in data.columns], train.std(axis=0))
    assert max(s["max"] for s in fitted["statistics"].values()) < 1e3
    assert fitted["fitted_on"] == {
        "start": plan["train"]["start"],
        "end": plan["train"]["end"],
        "rows": 700,
    }
    train_out, val_out, test_out = transform_splits(data, plan, fitted)
    assert train_out.index.max() < val_out.index.min()
    assert val_out.index.max() < test_out.index.min()
    assert len(train_out) + len(val_out) + len(test_out) == len(data)
    assert abs(train_out.mean()).max() < 1e-5


def test_pca_is_fitted_on_train_and_applied_to_every_split():
    data = series()
    params = NormalisationParams(
        pca={"enabled": True, "columns": ["temp", "wind"], "n_components": 1}
    )
    plan = plan_split(data, params)
    fitted = fit_train_scaler(data, plan, params)
    outputs = transform_splits(data, plan, fitted)
    assert all(list(part.columns) == ["load", "pc_1"] for part in outputs)


def test_pca_of_an_unknown_column_names_the_parameter():
    data = series()
    params = NormalisationParams(pca={"enabled": True, "columns": ["temp", "rain"]})
    plan = plan_split(data, params)
    with pytest.raises(ColumnNotFoundError, match=r"'normalisation.pca.columns' names \['rain'\]"):
        fit_train_scaler(data, plan, params)


def test_split_fractions_that_do_not_add_up_are_refused():
    with pytest.raises(ValidationError, match="must add up to 1"):
        NormalisationParams(split={"train": 0.7, "val": 0.2, "test": 0.2})


def test_timestamp_split_needs_ordered_timestamps():
    with pytest.raises(ValidationError, match="must come before"):
        NormalisationParams(
            split={"method": "timestamps", "val_start": "2021-01-01", "test_start": "2020-01-01"}
        )
