"""Every architecture builds, trains a step in each precision, saves, reloads, predicts the same."""

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models import ARCHITECTURES, ModelSpec, build_model, summarize
from lstm_pipeline.models.precision import model_precision
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.optimizers import build_optimizer

L, F, H, T = 24, 3, 4, 2
SMALL = {
    "recurrent": {"units": [8, 4]},
    "conv": {"filters": [8]},
    "attention": {"heads": 2},
    "fcn": {"filters": [8, 6, 4]},
    "resnet": {"block_filters": [4, 8, 8]},
    "lstm_fcn": {"units": 4},
    "transformer": {"model_dim": 8, "heads": 2, "key_dim": 4, "ff_units": 8},
}


def small_spec(architecture, **extra):
    return ModelSpec(
        architecture=architecture,
        hierarchical={"chunk_length": 6, "lower_units": 4},
        **{**SMALL, **extra},
    )


def test_the_registry_has_every_documented_architecture():
    assert set(ARCHITECTURES) == {
        "lstm",
        "gru",
        "conv_rnn",
        "hierarchical",
        "attention",
        "fcn",
        "resnet",
        "lstm_fcn",
        "transformer",
    }


@pytest.mark.parametrize("precision", ["float32", "mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_builds_trains_saves_and_reloads(tmp_path, architecture, precision):
    keras.utils.set_random_seed(0)
    model = build_model(
        small_spec(architecture, time_distributed_units=[3] if architecture == "lstm" else []),
        input_length=L,
        n_features=F,
        horizon=H,
        n_targets=T,
        precision=precision,
    )
    assert model.output_shape == (None, H, T)
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"  # output in float32
    model.compile(
        optimizer=build_optimizer(TrainingConfig(precision=precision, batch_size=8), 1),
        loss="mse",
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, L, F)).astype("float32")
    y = rng.normal(size=(16, H, T)).astype("float32")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    assert model_precision(reloaded) == precision
    np.testing.assert_array_equal(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))


def test_conv_front_end_shortens_the_sequence_and_separable_cuts_parameters():
    plain = build_model(small_spec("conv_rnn"), input_length=L, n_features=F)
    assert plain.get_layer("conv_1").output.shape[1] == L // 2  # strides 2
    separable = build_model(
        small_spec("conv_rnn", conv={"filters": [8], "separable": True}),
        input_length=L,
        n_features=F,
    )
    assert type(separable.get_layer("conv_1")).__name__ == "SeparableConv1D"
    assert separable.get_layer("conv_1").count_params() < plain.get_layer("conv_1").count_params()


def test_strides_and_dilation_together_are_refused():
    with pytest.raises(ValueError, match="strides"):
        ModelSpec(architecture="conv_rnn", conv={"strides": 2, "dilation_rate": 2})


def test_hierarchical_chunk_must_divide_the_input_length():
    spec = ModelSpec(architecture="hierarchical", hierarchical={"chunk_length": 7})
    with pytest.raises(ModelSpecError, match=r"chunk_length 7 does not divide.*input_length 24"):
        build_model(spec, input_length=L, n_features=F)


def test_hierarchical_runs_the_lower_layer_over_chunks():
    model = build_model(small_spec("hierarchical"), input_length=L, n_features=F)
    assert model.get_layer("chunks").output.shape[1:] == (4, 6, F)
    assert model.get_layer("chunk_summaries").output.shape[1:] == (4, 4)


def test_bidirectional_doubles_the_recurrent_output():
    spec = ModelSpec(recurrent={"units": [5], "bidirectional": True})
    model = build_model(spec, input_length=L, n_features=F)
    assert model.get_layer("bi_lstm_1").output.shape[-1] == 10


def test_summary_reports_shapes_memory_and_cudnn_eligibility():
    spec = ModelSpec(architecture="gru", recurrent={"units": [8, 4], "recurrent_dropout": 0.2})
    model = build_model(spec, input_length=L, n_features=F, horizon=H)
    summary = summarize(model, L)
    assert summary["parameters"] == model.count_params()
    assert summary["output_shape"] == [None, H, 1]
    first = summary["layers"][0]
    assert first["name"] == "gru_1" and first["output_shape"] == [None, L, 8]
    assert first["cudnn"] == {
        "eligible": False,
        "reasons": ["recurrent_dropout is 0.2, cuDNN needs 0"],
    }
    longer = summarize(build_model(spec, input_length=2 * L, n_features=F, horizon=H), 2 * L)
    # activations grow with the window: per-step outputs and BPTT gates
    assert longer["activation_bytes_per_sample"] > 1.8 * summary["activation_bytes_per_sample"]
    plain = summarize(build_model(ModelSpec(), input_length=L, n_features=F), L)
    assert plain["layers"][0]["cudnn"]["eligible"]
