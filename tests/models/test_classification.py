"""Classification models: masked sequences of any length in, class probabilities out.

The oracle for masking is the model itself on the unpadded sequence: the same sequence
padded to two lengths, or predicted in a batch of mixed lengths, must give the
probabilities it gets alone and unpadded.
"""

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models import ARCHITECTURES, ModelSpec, build_model, summarize
from lstm_pipeline.models.precision import model_precision
from lstm_pipeline.models.untrained import build_untrained

F, CLASSES = 2, 3
SMALL = {
    "recurrent": {"units": [6, 5]},
    # strides 2 and an even kernel: windows must not shift with the padded length
    "conv": {"filters": [6, 5], "kernel_size": 4, "strides": 2},
    "hierarchical": {"chunk_length": 5, "lower_units": 4},
    "attention": {"heads": 2, "key_dim": 4},
    "fcn": {"filters": [6, 8, 5]},
    "resnet": {"block_filters": [4, 6, 6]},
    "lstm_fcn": {"units": 4, "dropout": 0.5},
    "transformer": {"model_dim": 8, "heads": 2, "key_dim": 4, "ff_units": 8},
}
LENGTHS = [13, 7, 10, 1]  # 1: a single step; 7 and 13 are not multiples of chunk or stride


def small_classifier(architecture: str, precision: str = "float32", **extra):
    keras.utils.set_random_seed(0)
    spec = ModelSpec(architecture=architecture, **{**SMALL, **extra})
    return build_model(
        spec, n_features=F, task="classification", n_classes=CLASSES, precision=precision
    )


def padded(sequences: list[np.ndarray], length: int) -> dict:
    """Zero-padded values and the mask of real steps, as the shard reader yields them."""
    values = np.zeros((len(sequences), length, F), "float32")
    mask = np.zeros((len(sequences), length), bool)
    for i, sequence in enumerate(sequences):
        values[i, : len(sequence)] = sequence
        mask[i, : len(sequence)] = True
    return {"values": values, "mask": mask}


def sequences(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, F)).astype("float32") for n in LENGTHS]


def train_a_step(model) -> None:
    """One step on padded data, so BatchNorm's moving statistics are no longer 0 and 1."""
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    batch = padded(sequences(seed=2), 16)
    model.fit(batch, np.array([0, 1, 2, 1]), batch_size=4, epochs=1, verbose=0)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_padding_never_changes_a_prediction(architecture):
    model = small_classifier(architecture)
    train_a_step(model)
    cases = sequences()
    alone = np.concatenate([model.predict_on_batch(padded([c], len(c))) for c in cases])
    for length in (13, 31):  # padded to two different lengths, in one batch of mixed lengths
        together = model.predict_on_batch(padded(cases, length))
        np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-7)
    for case, expected in zip(cases, alone, strict=True):
        longer = model.predict_on_batch(padded([case], 29))[0]
        np.testing.assert_allclose(longer, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_saves_and_loads_in_safe_mode(tmp_path, architecture):
    import lstm_pipeline.models.masking  # noqa: F401 - registers the custom layers

    model = small_classifier(architecture)
    batch = padded(sequences(), 17)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict_on_batch(batch), reloaded.predict_on_batch(batch))


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("architecture", ["fcn", "hierarchical"])
def test_probabilities_are_float32_under_mixed_precision(architecture, precision):
    model = small_classifier(architecture, precision)
    assert model_precision(model) == precision
    assert [tensor.name for tensor in model.inputs] == ["mask", "values"]
    assert model.input["values"].dtype == "float32" and model.input["mask"].dtype == "bool"
    probabilities = np.asarray(model.predict_on_batch(padded(sequences(), 13)))
    assert probabilities.shape == (len(LENGTHS), CLASSES)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def _conv_kernels(model) -> list[tuple[int, int]]:
    """(kernel size, filters) of every Conv1D, in layer order."""
    return [
        (layer.kernel_size[0], layer.filters)
        for layer in model.layers
        if type(layer).__name__ == "Conv1D"
    ]


def test_fcn_and_resnet_follow_wang_et_al_by_default():
    fcn = build_model(
        ModelSpec(architecture="fcn"), n_features=1, task="classification", n_classes=2
    )
    assert _conv_kernels(fcn) == [(8, 128), (5, 256), (3, 128)]
    assert sum(type(layer).__name__ == "BatchNormalization" for layer in fcn.layers) == 3
    resnet = build_model(
        ModelSpec(architecture="resnet"), n_features=1, task="classification", n_classes=2
    )
    kernels = _conv_kernels(resnet)
    convs = [k for k in kernels if k[0] != 1]
    assert convs == [(8, 64), (5, 64), (3, 64), (8, 128), (5, 128), (3, 128)] + [
        (8, 128),
        (5, 128),
        (3, 128),
    ]
    assert [k for k in kernels if k[0] == 1] == [(1, 64), (1, 128)]  # width changes only
    assert len(resnet.get_layer("block_3_add").input) == 2


def test_lstm_fcn_concatenates_a_recurrent_branch_with_the_fcn():
    model = build_model(
        ModelSpec(architecture="lstm_fcn"), n_features=1, task="classification", n_classes=2
    )
    assert model.get_layer("branch_rnn").units == 8
    assert model.get_layer("branch_dropout").rate == 0.8
    assert model.get_layer("branches").output.shape[-1] == 8 + 128


def test_fcn_trains_on_sequences_of_2000_steps_on_cpu():
    keras.utils.set_random_seed(0)
    model = build_model(
        ModelSpec(architecture="fcn"), n_features=1, task="classification", n_classes=2
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    batch = {"values": rng.normal(size=(8, 2000, 1)).astype("float32")}
    batch["mask"] = np.ones((8, 2000), bool)
    history = model.fit(batch, rng.integers(0, 2, 8), batch_size=8, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_a_classifier_needs_two_classes_and_cannot_be_stateful():
    with pytest.raises(ModelSpecError, match="2 or more classes, got 1"):
        build_model(ModelSpec(), n_features=F, task="classification", n_classes=1)
    with pytest.raises(ModelSpecError, match="cannot be stateful"):
        build_model(
            ModelSpec(),
            n_features=F,
            task="classification",
            n_classes=2,
            batch_size=4,
            stateful=True,
        )
    with pytest.raises(ModelSpecError, match="Truncated BPTT trains forecasting models"):
        build_untrained(
            ModelSpec(),
            input_length=None,
            n_features=F,
            horizon=1,
            n_targets=1,
            stateful_chunks=(4, 16),
            task="classification",
            n_classes=2,
        )


def test_task_is_not_a_model_setting():
    with pytest.raises(ValueError, match="task"):
        ModelSpec.model_validate({"task": "classification"})
    with pytest.raises(ValueError, match="n_classes"):
        ModelSpec.model_validate({"n_classes": 3})


def test_the_strided_encoder_runs_its_recurrent_layer_over_a_64th_of_the_steps():
    """bench/long_classification.py's chunked encoder: a week of minutes (10,080 steps)
    reaches the LSTM as 158 steps, and trains."""
    spec = ModelSpec(
        architecture="conv_rnn",
        recurrent={"units": [8]},
        conv={"filters": [4, 4, 4], "kernel_size": 8, "strides": 4},
    )
    model = build_model(spec, n_features=F, task="classification", n_classes=2)
    front = keras.Model(model.input, model.get_layer("conv_3").output)
    batch = padded(sequences() + [np.ones((10_080, F), "float32")], 10_080)
    assert front.predict_on_batch(batch).shape == (len(LENGTHS) + 1, 158, 4)  # ceil(T / 64)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(batch, np.array([0, 1, 0, 1, 1]))
    assert np.isfinite(loss)


def test_summary_of_a_classifier_is_taken_at_the_given_length():
    spec = ModelSpec(
        architecture="conv_rnn",
        recurrent={"units": [8]},
        conv={"filters": [4, 4, 4], "kernel_size": 8, "strides": 4},
    )
    model = build_model(spec, n_features=F, task="classification", n_classes=2)
    layers = {layer["name"]: layer for layer in summarize(model, 10_080)["layers"]}
    assert layers["conv_1"]["output_shape"] == [None, 2_520, 4]
    assert layers["conv_3"]["output_shape"] == [None, 158, 4]
    plain = build_model(
        ModelSpec(recurrent={"units": [8]}), n_features=F, task="classification", n_classes=2
    )
    # activations kept per sample grow with the steps the recurrent layer runs over
    assert (
        summarize(plain, 10_080)["activation_bytes_per_sample"]
        > 3 * summarize(model, 10_080)["activation_bytes_per_sample"]
    )
