"""Forecasters with side inputs: the future columns over the horizon and the series
embedding join every window architecture's features before the head, and are used."""

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.registry import build_model
from lstm_pipeline.models.side import SideInputs, random_side_batch
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.models.untrained import build_untrained

L, F, H, T = 12, 3, 4, 2


def batch(side: SideInputs, n: int = 5, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    window = rng.normal(size=(n, L, F)).astype("float32")
    return {"inputs": window, **random_side_batch(side, n, H, rng)}


@pytest.mark.parametrize("architecture", ["lstm", "gru", "conv_rnn", "hierarchical", "attention"])
def test_every_window_architecture_takes_future_columns_and_a_series_code(architecture):
    spec = ModelSpec(architecture=architecture, hierarchical={"chunk_length": 4})
    side = SideInputs(future=2, series=3)
    model = build_model(spec, input_length=L, n_features=F, horizon=H, n_targets=T, side=side)
    assert sorted(t.name for t in model.inputs) == ["future", "inputs", "series"]
    assert model.predict_on_batch(batch(side)).shape == (5, H, T)


def test_the_forecast_changes_with_the_future_columns_and_the_series():
    side = SideInputs(future=2, series=3)
    spec = ModelSpec(recurrent={"units": [8]}, dense_units=[8])
    model = build_model(spec, input_length=L, n_features=F, horizon=H, n_targets=T, side=side)
    x = batch(side)
    base = model.predict_on_batch(x)
    other_future = {**x, "future": -x["future"]}
    other_series = {**x, "series": (x["series"] + 1) % 3}
    assert not np.allclose(model.predict_on_batch(other_future), base)
    assert not np.allclose(model.predict_on_batch(other_series), base)
    embedding = model.get_layer("series_embedding")
    assert embedding.input_dim == 3 and embedding.output_dim == spec.series_embedding_dim


def test_a_model_with_side_inputs_saves_and_loads_in_safe_mode(tmp_path):
    side = SideInputs(future=4, series=2)
    spec = ModelSpec(quantiles=[0.1, 0.5, 0.9])
    model = build_model(spec, input_length=L, n_features=F, horizon=H, n_targets=T, side=side)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    x = batch(side)
    assert loaded.predict_on_batch(x).shape == (5, H, T, 3)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-6)


def test_without_side_inputs_the_model_takes_the_window_alone():
    model = build_model(ModelSpec(), input_length=L, n_features=F, horizon=H, n_targets=T)
    assert [t.name for t in model.inputs] == ["inputs"]
    assert not any(layer.name == "window_and_side" for layer in model.layers)


def test_truncated_bptt_and_classifiers_refuse_side_inputs():
    side = SideInputs(future=2)
    shapes = {"input_length": L, "n_features": F, "horizon": H, "n_targets": T}
    with pytest.raises(ModelSpecError, match="no side inputs"):
        build_untrained(ModelSpec(), **shapes, stateful_chunks=(4, 8), side=side)
    with pytest.raises(ModelSpecError, match="window forecasters"):
        build_model(ModelSpec(), n_features=F, task="classification", n_classes=2, side=side)
