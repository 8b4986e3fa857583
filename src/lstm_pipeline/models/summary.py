"""What a person wants to know about a built model before training it."""

import math

from lstm_pipeline.models.precision import model_precision

# Tensors kept per timestep and unit for backpropagation through time (gates + states),
# by layer, or for a generic RNN layer by its cell (the low-rank cells of models.lowrank).
_STEP_TENSORS = {"LSTM": 6, "GRU": 4, "LowRankLSTMCell": 6, "LowRankGRUCell": 4}


def summarize(model, input_length: int) -> dict:
    """Parameters, per-layer output shapes, activation memory per sample, cuDNN eligibility.

    A model over sequences of any length (classification) is summarised at
    ``input_length`` steps."""
    layers = []
    activation_bytes = 0
    masked = _is_masked(model)
    for layer in _layers_after_input(_at_length(model, input_length)):
        shape = _output_shape(layer)
        width = _bytes(layer.dtype_policy.compute_dtype)
        rows = _rows_per_sample(layer, input_length)
        elements = math.prod(input_length if d is None else d for d in shape[1:]) if shape else 0
        activation_bytes += elements * rows * width
        entry = {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(shape) if shape else None,
            "parameters": layer.count_params() if layer.built else 0,
            "compute_dtype": layer.dtype_policy.compute_dtype,
        }
        recurrent = _recurrent_core(layer)
        if recurrent is not None:
            steps = _steps_seen(layer, input_length) * rows
            copies = 2 if type(layer).__name__ == "Bidirectional" else 1
            kept = steps * _units(recurrent) * _STEP_TENSORS[_kind(recurrent)] * copies
            activation_bytes += kept * width
            entry["cudnn"] = cudnn_eligibility(recurrent, masked)
        if type(layer).__name__ == "MultiHeadAttention":
            activation_bytes += _attention_scores(layer, shape, input_length) * rows * width
        layers.append(entry)
    return {
        "name": model.name,
        "parameters": model.count_params(),
        "trainable_parameters": sum(math.prod(w.shape) for w in model.trainable_weights),
        "input_shape": list(model.input_shape),
        "inputs": {tensor.name: list(tensor.shape[1:]) for tensor in model.inputs},
        "output_shape": list(model.output_shape),
        "dtype_policy": model_precision(model),
        "activation_bytes_per_sample": int(activation_bytes),
        "activation_memory_note": (
            "estimate for training: every layer output, plus per-timestep gates and states "
            "that recurrent layers keep for backpropagation through time"
        ),
        "layers": layers,
    }


def cudnn_eligibility(layer, masked: bool = False) -> dict:
    """Whether Keras will run this LSTM/GRU on the cuDNN kernel on a GPU, and if not, why."""
    cell = layer.cell
    if _kind(layer) != type(layer).__name__:
        reason = f"{type(cell).__name__} is a custom (low-rank) cell: cuDNN runs LSTM/GRU only"
        return {"eligible": False, "reasons": [reason]}
    reasons = []
    if getattr(cell.activation, "__name__", "") != "tanh":
        reasons.append(f"activation is {cell.activation.__name__}, cuDNN needs tanh")
    if getattr(cell.recurrent_activation, "__name__", "") != "sigmoid":
        reasons.append(
            f"recurrent_activation is {cell.recurrent_activation.__name__}, cuDNN needs sigmoid"
        )
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout is {cell.recurrent_dropout}, cuDNN needs 0")
    if layer.unroll:
        reasons.append("unroll is True")
    if not cell.use_bias:
        reasons.append("use_bias is False")
    if type(layer).__name__ == "GRU" and not cell.reset_after:
        reasons.append("reset_after is False")
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn is False")
    if masked:
        reasons.append("inputs are masked: cuDNN runs only if every mask is right-padded")
    return {"eligible": not reasons, "reasons": reasons}


def _at_length(model, input_length: int):
    """The model itself, or for inputs of any length, an unweighted copy whose inputs have
    ``input_length`` steps, so every layer's output shape is known."""
    import keras

    config = model.get_config()
    variable = False
    for layer in config["layers"]:
        shape = layer["config"].get("batch_shape") if layer["class_name"] == "InputLayer" else None
        if shape is not None and len(shape) > 1 and shape[1] is None:
            layer["config"]["batch_shape"] = (shape[0], input_length, *shape[2:])
            variable = True
    return keras.Model.from_config(config) if variable else model


def _is_masked(model) -> bool:
    """Whether the model masks time steps (a Masking layer, or a boolean mask input)."""
    if any(type(layer).__name__ == "Masking" for layer in model.layers):
        return True
    return any(str(tensor.dtype) == "bool" for tensor in model.inputs)


def _first_input(layer):
    """The layer's (first) input tensor: a layer called with a mask has a list of inputs."""
    tensor = layer.input
    return tensor[0] if isinstance(tensor, (list, tuple)) else tensor


def _rows_per_sample(layer, input_length: int) -> int:
    """How many batch rows one sample becomes: a layer over chunks folded into the batch
    (masking.FoldChunks) sees ceil(T / chunk_length) rows per sample."""
    if type(layer).__name__ == "FoldChunks":
        return math.ceil(input_length / layer.chunk_length)
    try:
        source = _first_input(layer)._keras_history.operation
    except (AttributeError, ValueError):
        return 1
    if type(source).__name__ == "FoldChunks":
        return math.ceil(input_length / source.chunk_length)
    return 1


def _layers_after_input(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _kind(layer) -> str:
    """The _STEP_TENSORS key of a recurrent layer: its class, or a generic RNN's cell's."""
    name = type(layer).__name__
    return type(layer.cell).__name__ if name == "RNN" else name


def _units(layer) -> int:
    return layer.cell.units


def _recurrent_core(layer):
    """The LSTM/GRU inside a layer (itself, or wrapped in Bidirectional/TimeDistributed)."""
    name = type(layer).__name__
    if name in _STEP_TENSORS or (name == "RNN" and _kind(layer) in _STEP_TENSORS):
        return layer
    if name == "Bidirectional":
        return layer.forward_layer
    if name == "TimeDistributed":
        return _recurrent_core(layer.layer)
    return None


def _steps_seen(layer, input_length: int) -> int:
    """Timesteps a recurrent layer runs over (per sample, all chunks for TimeDistributed)."""
    try:
        shape = _first_input(layer).shape
    except (AttributeError, ValueError):
        shape = None
    if shape is None:
        return input_length
    dims = [input_length if d is None else d for d in shape[1:-1]]
    return math.prod(dims) if dims else input_length


def _attention_scores(layer, shape, input_length: int) -> int:
    """Scores and softmax weights a MultiHeadAttention keeps for the backward pass per row:
    2 x heads x query steps x key steps (full self-attention: quadratic in T; attention
    within chunks folded into the batch: T x chunk)."""
    value_shape = getattr(layer, "_build_shapes_dict", {}).get("value_shape") or (None, None)
    queries = shape[1] if shape and shape[1] is not None else input_length
    keys = value_shape[1] if value_shape[1] is not None else input_length
    return 2 * layer.num_heads * queries * keys


def _output_shape(layer):
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return None
    return tuple(shape)


def _bytes(dtype: str) -> int:
    return {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}.get(str(dtype), 4)
