"""Large layers and long inputs: low-rank kernels, separable convolutions, the Transformer.

Oracles: arithmetic for parameter counts; Keras's own LSTM/GRU/Dense holding the product
of the factors for the low-rank layers; the model itself on an unpadded sequence for
masking; for local attention, which inputs an output may depend on.
"""

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models import ModelSpec, build_model, summarize
from lstm_pipeline.models.lowrank import LowRankDense, LowRankGRUCell, LowRankLSTMCell
from lstm_pipeline.models.sequence import build_sequence_model, predict_stateful

L, F, H, T, CLASSES = 24, 3, 4, 2, 3
TINY_TRANSFORMER = {"model_dim": 8, "heads": 2, "key_dim": 4, "ff_units": 8}
VARIANTS = {
    "low-rank lstm": {"low_rank": 2, "recurrent": {"units": [8, 4]}, "dense_units": [6]},
    "low-rank gru, bidirectional": {
        "architecture": "gru",
        "low_rank": 3,
        "recurrent": {"units": [6], "bidirectional": True},
        "time_distributed_units": [3],
    },
    "separable resnet": {
        "architecture": "resnet",
        "resnet": {"block_filters": [4, 8, 8], "separable": True},
    },
    "separable lstm_fcn (fcn's blocks)": {
        "architecture": "lstm_fcn",
        "lstm_fcn": {"units": 4},
        "fcn": {"filters": [8, 6, 4], "separable": True},
    },
    "local transformer": {
        "architecture": "transformer",
        "transformer": {**TINY_TRANSFORMER, "attention": "local", "window": 3},
    },
    "chunked transformer, low-rank": {
        "architecture": "transformer",
        "low_rank": 2,
        "transformer": {**TINY_TRANSFORMER, "attention": "chunked", "window": 5},
    },
}


def _build(settings: dict, task: str):
    keras.utils.set_random_seed(0)
    spec = ModelSpec(**settings)
    if task == "classification":
        return build_model(spec, n_features=F, task=task, n_classes=CLASSES)
    return build_model(spec, input_length=L, n_features=F, horizon=H, n_targets=T)


def _batch(task: str):
    rng = np.random.default_rng(0)
    if task == "classification":
        return _padded_batch(_sequences([11, 4, 9, 1]), 13), rng.integers(0, CLASSES, 4)
    x = rng.normal(size=(4, L, F)).astype("float32")
    return x, rng.normal(size=(4, H, T)).astype("float32")


@pytest.mark.parametrize("task", ["forecast", "classification"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_trains_a_step_saves_and_reloads_in_safe_mode(tmp_path, variant, task):
    model = _build(VARIANTS[variant], task)
    loss = "sparse_categorical_crossentropy" if task == "classification" else "mse"
    # eager: a tiny step is cheaper run than traced (these tests are about the layers)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, run_eagerly=True)
    x, y = _batch(task)
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(reloaded(x)))


def test_low_rank_dense_has_r_times_m_plus_n_weights_and_computes_x_u_v():
    m, n, r = 40, 30, 5
    layer = LowRankDense(n, r, activation="relu")
    x = np.random.default_rng(0).normal(size=(7, m)).astype("float32")
    out = np.asarray(layer(x))
    assert layer.count_params() == r * (m + n) + n  # against m * n + n = 1230
    left, right, bias = (np.asarray(w) for w in layer.weights)
    oracle = keras.layers.Dense(n, activation="relu")
    oracle.build((None, m))
    oracle.set_weights([left @ right, bias])
    np.testing.assert_allclose(out, np.asarray(oracle(x)), rtol=1e-5, atol=1e-6)


def test_dense_units_and_recurrent_kernels_are_factorised_in_a_model():
    m, units, r = 8, 6, 2
    spec = ModelSpec(low_rank=r, recurrent={"units": [m]}, dense_units=[units])
    model = build_model(spec, input_length=L, n_features=F)
    assert model.get_layer("dense_1").count_params() == r * (m + units) + units
    # input kernel F x 4m, recurrent kernel m x 4m, each factorised; two bias rows
    assert model.get_layer("lstm_1").count_params() == r * (F + 4 * m) + r * (m + 4 * m) + 8 * m


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_low_rank_cell_equals_keras_cell_holding_the_product_of_its_factors(kind):
    units, rank = 5, 2
    x = np.random.default_rng(0).normal(size=(3, 9, F)).astype("float32")
    cell = (LowRankLSTMCell if kind == "lstm" else LowRankGRUCell)(units, rank)
    ours = keras.layers.RNN(cell, return_sequences=True)
    ours.build(x.shape)
    rng = np.random.default_rng(2)
    for weight in ours.weights:  # random factors and biases, not the initial values
        weight.assign(rng.normal(size=weight.shape).astype("float32") / 2)
    got = np.asarray(ours(x))
    u, v, ru, rv, bias = (np.asarray(w) for w in ours.weights)
    if kind == "lstm":
        oracle = keras.layers.LSTM(units, return_sequences=True)
        oracle.build(x.shape)
        oracle.set_weights([u @ v, ru @ rv, bias[0] + bias[1]])
    else:
        oracle = keras.layers.GRU(units, return_sequences=True)  # reset_after=True
        oracle.build(x.shape)
        oracle.set_weights([u @ v, ru @ rv, bias])
    np.testing.assert_allclose(got, np.asarray(oracle(x)), rtol=1e-4, atol=1e-5)


def test_low_rank_layers_are_reported_as_not_cudnn_eligible():
    model = build_model(
        ModelSpec(low_rank=2, recurrent={"units": [4]}), input_length=L, n_features=F
    )
    layer = summarize(model, L)["layers"][0]
    assert layer["type"] == "RNN" and not layer["cudnn"]["eligible"]
    assert "custom (low-rank) cell" in layer["cudnn"]["reasons"][0]


def test_low_rank_sequence_model_streams_chunk_by_chunk_as_in_one_call():
    spec = ModelSpec(low_rank=2, recurrent={"units": [4]})
    model = build_sequence_model(spec, n_features=F, horizon=H, n_targets=1)
    values = np.random.default_rng(0).normal(size=(30, F)).astype("float32")
    whole = np.asarray(model.predict_on_batch(values[None]))[0]
    np.testing.assert_allclose(predict_stateful(model, values, 7), whole, rtol=1e-5, atol=1e-6)


def _encoder_output(attention: str, window: int = 2):
    settings = {**TINY_TRANSFORMER, "layers": 1, "attention": attention, "window": window}
    model = _build({"architecture": "transformer", "transformer": settings}, "forecast")
    return keras.Model(model.input, model.get_layer("encoder_1_out").output)


@pytest.mark.parametrize("attention", ["local", "chunked", "full"])
def test_an_output_step_sees_inputs_in_its_band_or_chunk_only(attention):
    encoder = _encoder_output(attention, window=4)  # local: |i - j| <= 4; chunks 0-3, 4-7..
    x = np.random.default_rng(0).normal(size=(1, L, F)).astype("float32")
    changed = x.copy()
    changed[0, 15] += 3.0
    before, after = encoder.predict_on_batch(x)[0], encoder.predict_on_batch(changed)[0]
    moved = {step for step in range(L) if not np.allclose(before[step], after[step], atol=1e-6)}
    expected = {
        "local": set(range(11, 20)),  # steps at most 4 from step 15
        "chunked": set(range(12, 16)),  # step 15's chunk
        "full": set(range(L)),
    }
    assert moved == expected[attention]


def _sequences(lengths: list[int]) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.normal(size=(n, F)).astype("float32") for n in lengths]


def _padded_batch(sequences: list[np.ndarray], width: int) -> dict:
    values = np.zeros((len(sequences), width, F), "float32")
    for i, sequence in enumerate(sequences):
        values[i, : len(sequence)] = sequence
    lengths = np.array([len(s) for s in sequences])
    return {"values": values, "mask": np.arange(width)[None] < lengths[:, None]}


@pytest.mark.parametrize("attention", ["local", "chunked"])
def test_padding_never_changes_a_transformer_prediction(attention):
    settings = {**TINY_TRANSFORMER, "attention": attention, "window": 3}
    model = _build({"architecture": "transformer", "transformer": settings}, "classification")
    cases = _sequences([11, 4, 9, 1])
    alone = np.concatenate([model.predict_on_batch(_padded_batch([c], len(c))) for c in cases])
    for width in (11, 20):  # one batch of mixed lengths, padded to two widths
        together = model.predict_on_batch(_padded_batch(cases, width))
        np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"low_rank": 0}, "low_rank"),
        ({"low_rank": 4, "recurrent": {"dropout": 0.2}}, "recurrent.dropout is 0.2"),
        ({"transformer": {"attention": "sparse"}}, "transformer.attention"),
        ({"transformer": {"window": 0}}, "transformer.window"),
        ({"fcn": {"separable": "sometimes"}}, "fcn.separable"),
    ],
)
def test_bad_settings_are_refused_naming_the_parameter(settings, message):
    with pytest.raises(SettingsError, match=message):
        ModelSpec.model_validate(settings)


def test_summary_counts_attention_scores_quadratic_in_t_unless_chunked():
    def per_sample(attention: str, steps: int) -> int:
        settings = {**TINY_TRANSFORMER, "attention": attention, "window": 8}
        model = _build({"architecture": "transformer", "transformer": settings}, "classification")
        return summarize(model, steps)["activation_bytes_per_sample"]

    # heads x T x T scores and weights: doubling T more than triples the full model's
    assert per_sample("full", 512) > 3 * per_sample("full", 256)
    assert per_sample("local", 512) == per_sample("full", 512)  # a band mask saves nothing
    ratio = per_sample("chunked", 512) / per_sample("chunked", 256)
    assert 1.9 < ratio < 2.1  # T x chunk: linear


@pytest.mark.parametrize("variant", ["low-rank lstm", "local transformer"])
def test_trains_under_mixed_float16_with_float32_outputs(variant):
    keras.utils.set_random_seed(0)
    spec = ModelSpec(**VARIANTS[variant])
    model = build_model(
        spec, n_features=F, task="classification", n_classes=CLASSES, precision="mixed_float16"
    )
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _batch("classification")
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)  # traced, as training runs
    assert np.isfinite(history.history["loss"]).all()
    probabilities = np.asarray(model.predict_on_batch(x))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
