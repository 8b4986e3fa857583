"""Sequence models for truncated BPTT, their stateless window twin, and stateful inference.

A sequence model predicts at every step: for step u, the ``horizon`` target steps after it
(the same alignment as a window ending at u). Trained stateful on chunks, its weights also
make a stateless model over windows, which evaluation and inference on windows use.

    >>> seq = build_sequence_model(spec, n_features=7, horizon=24, n_targets=1,
    ...                            batch_size=32, chunk_length=256, stateful=True)
    >>> window_model = window_model_from(seq, spec, input_length=168)
    >>> per_step = predict_stateful(seq, series_values, chunk_length=4096)
"""

from typing import get_args

import numpy as np

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.precision import dtype_policy, model_precision
from lstm_pipeline.models.registry import forecast_output, recurrent_layer
from lstm_pipeline.models.spec import Cell, ModelSpec

_RECURRENT = ("LSTM", "GRU", "RNN")  # RNN: over a low-rank cell (models.lowrank)


def _check(spec: ModelSpec) -> None:
    if spec.architecture not in get_args(Cell) or spec.time_distributed_units or spec.dense_units:
        raise ModelSpecError(
            f"Truncated BPTT trains stacked 'lstm' or 'gru' models with a per-step head; "
            f"modelling.architecture is '{spec.architecture}'"
            + (
                " with time_distributed_units/dense_units"
                if spec.architecture in get_args(Cell)
                else ""
            )
            + ". Use architecture lstm or gru without extra dense layers, or turn "
            "training.tbptt.enabled off."
        )
    if spec.recurrent.bidirectional:
        raise ModelSpecError(
            "modelling.recurrent.bidirectional cannot carry state forward across chunks: "
            "turn it off for truncated BPTT."
        )


def _stack(spec: ModelSpec, inputs, stateful: bool, shape: tuple, quantiles, last_only):
    x = inputs
    for i, width in enumerate(spec.recurrent.units):
        x = recurrent_layer(spec, width, True, f"{spec.cell}_{i + 1}", stateful)(x)
    # the head every forecaster shares, per step (or at the window's last step)
    return forecast_output(x, *shape, quantiles, steps=last_only or "all")


def build_sequence_model(
    spec: ModelSpec,
    *,
    n_features: int,
    horizon: int,
    n_targets: int,
    batch_size: int | None = None,
    chunk_length: int | None = None,
    stateful: bool = False,
    precision: str = "float32",
):
    """Per-step forecasts ``(batch, steps, horizon, n_targets)`` from ``(batch, steps, F)``."""
    import keras

    _check(spec)
    if stateful and batch_size is None:
        raise ModelSpecError("stateful recurrent layers need a fixed batch size (streams)")
    with dtype_policy(precision):
        inputs = keras.Input(batch_shape=(batch_size, chunk_length, n_features), name="inputs")
        outputs = _stack(spec, inputs, stateful, (horizon, n_targets), spec.quantiles, None)
        return keras.Model(inputs, outputs, name=f"{spec.architecture}_sequence")


def window_model_from(sequence_model, spec: ModelSpec, input_length: int):
    """A stateless model over windows ``(batch, input_length, F)`` -> ``(batch, horizon,
    n_targets)`` (or the quantile head's levels last) with the sequence model's weights:
    the forecast made at the last step."""
    import keras

    from lstm_pipeline.models.quantiles import quantile_levels

    shape = tuple(sequence_model.output_shape[2:4])  # horizon, n_targets
    quantiles = quantile_levels(sequence_model)
    n_features = sequence_model.input_shape[-1]
    with dtype_policy(model_precision(sequence_model)):
        inputs = keras.Input(shape=(input_length, n_features), name="inputs")
        outputs = _stack(spec, inputs, False, shape, quantiles, input_length)
        model = keras.Model(inputs, outputs, name=f"{spec.architecture}_window")
    model.set_weights(sequence_model.get_weights())
    return model


def stateful_copy(model, batch_size: int = 1):
    """The same model with stateful recurrent layers, a fixed batch size and any number of
    steps per call; weights copied."""
    import keras

    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"]["batch_shape"]
            layer["config"]["batch_shape"] = (batch_size, None, *shape[2:])
        elif layer["class_name"] in _RECURRENT:
            layer["config"]["stateful"] = True
            layer.pop("build_config", None)  # built from the new input shape instead
        elif layer["class_name"] in ("Cropping1D", "Flatten", "Bidirectional"):
            raise ModelSpecError(
                f"Layer '{layer['config']['name']}' ({layer['class_name']}) needs a fixed "
                f"window: this model cannot run chunk by chunk."
            )
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def stateful_layers(model) -> list:
    """The layers of ``model`` whose state carries from one batch to the next."""
    return [layer for layer in model.layers if getattr(layer, "stateful", False)]


def reset_recurrent_states(model) -> None:
    """Zero the states of every stateful layer (Keras 3 models have no ``reset_states``)."""
    for layer in stateful_layers(model):
        layer.reset_state()


def predict_stateful(model, values: np.ndarray, chunk_length: int) -> np.ndarray:
    """Run ``model`` over ``values`` (steps, features) of any length, ``chunk_length`` steps
    per call, carrying the recurrent state between calls.

    Memory is that of one chunk. For a per-step model the result is every step's output
    ``(steps, ...)``; otherwise the output after the last step. Equal (to float rounding)
    to one call over the whole sequence.
    """
    if chunk_length < 1:
        raise ValueError(f"chunk_length must be positive, got {chunk_length}")
    from lstm_pipeline.models.quantiles import quantile_levels

    runner = stateful_copy(model, batch_size=1)
    reset_recurrent_states(runner)
    rank = len(runner.output_shape) - (1 if quantile_levels(model) else 0)  # no quantile axis
    per_step = rank == 4 or (rank == 3 and runner.output_shape[1] is None)
    outputs = []
    for start in range(0, len(values), chunk_length):
        chunk = np.asarray(values[start : start + chunk_length], np.float32)[None]
        outputs.append(np.asarray(runner.predict_on_batch(chunk))[0])
    if per_step:
        return np.concatenate(outputs)
    return outputs[-1]
