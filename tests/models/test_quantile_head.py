"""The quantile head: every forecasting architecture gets it through one shared output
function, its quantiles never cross, its levels travel inside the saved model, and the
pinball loss matches a numpy oracle."""

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models import ARCHITECTURES, ModelSpec, build_model
from lstm_pipeline.models.quantiles import PinballLoss, QuantileForecast, quantile_levels
from lstm_pipeline.models.sequence import build_sequence_model, predict_stateful, window_model_from
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.objectives import compile_arguments, loss_name
from tests.models.test_architectures import SMALL, F, H, L, T, small_spec

LEVELS = [0.1, 0.5, 0.9]


def numpy_pinball(actual, forecast, levels):
    """Mean over every value and level of max(q e, (q - 1) e), written out by cases."""
    total = []
    for k, q in enumerate(levels):
        e = actual - forecast[..., k]
        total.append(np.where(e >= 0, q * e, (q - 1) * e))
    return float(np.mean(total))


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_ends_in_ordered_quantiles_that_survive_a_reload(tmp_path, architecture):
    keras.utils.set_random_seed(0)
    spec = small_spec(architecture, quantiles=LEVELS)
    model = build_model(spec, input_length=L, n_features=F, horizon=H, n_targets=T)
    assert model.output_shape == (None, H, T, 3)
    assert quantile_levels(model) == LEVELS
    x = np.random.default_rng(0).normal(size=(6, L, F)).astype("float32")
    y = np.random.default_rng(1).normal(size=(6, H, T)).astype("float32")
    model.compile(optimizer="adam", **compile_arguments("forecast", TrainingConfig(), LEVELS))
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    predicted = model.predict(x, verbose=0)
    assert (np.diff(predicted, axis=-1) > 0).all()  # 0.1 < 0.5 < 0.9 everywhere
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)  # compiled: the loss reloads too
    assert quantile_levels(reloaded) == LEVELS
    assert isinstance(reloaded.loss, PinballLoss) and reloaded.loss.quantiles == LEVELS
    np.testing.assert_array_equal(predicted, reloaded.predict(x, verbose=0))


def test_without_quantiles_the_head_is_the_point_forecast_as_before():
    model = build_model(ModelSpec(**SMALL), input_length=L, n_features=F, horizon=H, n_targets=T)
    assert model.output_shape == (None, H, T) and quantile_levels(model) is None
    assert [layer.name for layer in model.layers[-2:]] == ["forecast_flat", "forecast"]
    assert type(model.layers[-1]).__name__ == "Reshape"
    assert loss_name("forecast", TrainingConfig(loss="mae")) == "mae"
    assert compile_arguments("forecast", TrainingConfig())["loss"] == "mse"


def test_the_quantile_head_computes_in_float32_under_mixed_precision():
    spec = small_spec("lstm", quantiles=LEVELS)
    model = build_model(spec, input_length=L, n_features=F, horizon=H, precision="mixed_float16")
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"
    assert model.output.dtype == "float32"


@pytest.mark.parametrize("levels", [[0.5], [0.5, 0.8], [0.2, 0.5], [0.05, 0.25, 0.5, 0.75, 0.95]])
def test_the_median_passes_through_and_the_other_levels_step_away_from_it(levels):
    raw = np.random.default_rng(2).normal(size=(4, 3, 2, len(levels))).astype("float32")
    out = np.asarray(QuantileForecast(levels)(raw))
    m = levels.index(0.5)
    softplus = np.log1p(np.exp(raw.astype(np.float64)))
    expected = np.empty_like(out, dtype=np.float64)
    expected[..., m] = raw[..., m]
    for k in range(m + 1, len(levels)):  # each level above: the one below plus softplus
        expected[..., k] = expected[..., k - 1] + softplus[..., k]
    for k in range(m - 1, -1, -1):  # each level below: the one above minus softplus
        expected[..., k] = expected[..., k + 1] - softplus[..., k]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_pinball_loss_matches_numpy_and_the_hand_computed_value():
    rng = np.random.default_rng(3)
    actual = rng.normal(size=(5, 4, 2)).astype("float32")
    forecast = rng.normal(size=(5, 4, 2, 3)).astype("float32")
    loss = float(PinballLoss(LEVELS)(actual, forecast))
    assert loss == pytest.approx(numpy_pinball(actual, forecast, LEVELS), rel=1e-6)
    # by hand: actual 1, forecasts 0 / 2 / 3 -> 0.1 * 1, (0.5 - 1) * -1, (0.9 - 1) * -2
    by_hand = (0.1 + 0.5 + 0.2) / 3
    one = np.ones((1, 1, 1), "float32")
    assert float(PinballLoss(LEVELS)(one, np.array([[[[0, 2, 3]]]], "float32"))) == pytest.approx(
        by_hand
    )


def test_truncated_bptt_models_get_the_same_head_and_their_window_twin_keeps_it():
    keras.utils.set_random_seed(0)
    spec = ModelSpec(recurrent={"units": [5]}, quantiles=LEVELS)
    stateful = build_sequence_model(
        spec, n_features=F, horizon=H, n_targets=T, batch_size=2, chunk_length=8, stateful=True
    )
    assert stateful.output_shape == (2, 8, H, T, 3) and quantile_levels(stateful) == LEVELS
    sequence = build_sequence_model(spec, n_features=F, horizon=H, n_targets=T)
    window = window_model_from(sequence, spec, input_length=L)
    assert window.output_shape == (None, H, T, 3) and quantile_levels(window) == LEVELS
    values = np.random.default_rng(4).normal(size=(50, F)).astype("float32")
    per_step = sequence.predict(values[None], verbose=0)[0]  # (steps, H, T, 3)
    np.testing.assert_allclose(predict_stateful(sequence, values, 7), per_step, atol=1e-5)
    np.testing.assert_allclose(
        window.predict(values[None, -L:], verbose=0)[0],
        sequence.predict(values[None, -L:], verbose=0)[0, -1],
        atol=1e-5,
    )
    # a window model of any length, run chunk by chunk: the output after the last step only
    any_length = build_model(spec, input_length=None, n_features=F, horizon=H, n_targets=T)
    np.testing.assert_allclose(
        predict_stateful(any_length, values, 16),
        any_length.predict(values[None], verbose=0)[0],
        atol=1e-5,
    )


def test_a_classifier_refuses_quantiles():
    spec = ModelSpec(architecture="fcn", fcn={"filters": [4, 4, 4]}, quantiles=LEVELS)
    with pytest.raises(ModelSpecError, match="modelling.quantiles"):
        build_model(spec, n_features=2, task="classification", n_classes=3)
