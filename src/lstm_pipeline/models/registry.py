"""Architecture registry: a :class:`ModelSpec` and the window shapes -> a ``keras.Model``.

Every architecture is plain Keras layers (no Lambda, no custom classes), so models save to
``.keras`` and load with ``safe_mode=True``. Under mixed precision the output layers
compute in float32.

    >>> spec = ModelSpec(architecture="gru", recurrent={"units": [64, 32]})
    >>> model = build_model(spec, input_length=168, n_features=7, horizon=24, n_targets=1)
"""

from collections.abc import Callable

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.precision import dtype_policy
from lstm_pipeline.models.spec import ModelSpec

ARCHITECTURES: dict[str, Callable] = {}


def architecture(name: str):
    """Register the decorated builder ``(spec, inputs, *, stateful) -> features`` as
    ``name`` in :data:`ARCHITECTURES`."""

    def register(builder):
        ARCHITECTURES[name] = builder
        return builder

    return register


def build_model(
    spec: ModelSpec,
    *,
    input_length: int,
    n_features: int,
    horizon: int = 1,
    n_targets: int = 1,
    precision: str = "float32",
    batch_size: int | None = None,
    stateful: bool = False,
    name: str | None = None,
):
    """Build (not compile) the model ``spec`` describes for windows of this shape.

    ``batch_size`` fixes the batch dimension (needed by ``stateful`` recurrent layers, whose
    state carries from one batch to the next).
    """
    import keras

    if stateful and batch_size is None:
        raise ModelSpecError("stateful recurrent layers need a fixed batch_size")
    with dtype_policy(precision):
        if batch_size is None:
            inputs = keras.Input(shape=(input_length, n_features), name="inputs")
        else:
            inputs = keras.Input(batch_shape=(batch_size, input_length, n_features), name="inputs")
        builder = ARCHITECTURES[spec.architecture]
        features = builder(spec, inputs, stateful=stateful)
        outputs = _head(spec, features, horizon, n_targets)
        return keras.Model(inputs, outputs, name=name or spec.architecture)


def recurrent_layer(spec: ModelSpec, units: int, return_sequences: bool, name: str, stateful):
    """One LSTM/GRU layer of ``spec``'s cell and dropouts, Bidirectional when configured."""
    import keras

    cls = keras.layers.LSTM if spec.cell == "lstm" else keras.layers.GRU
    layer = cls(
        units,
        return_sequences=return_sequences,
        dropout=spec.recurrent.dropout,
        recurrent_dropout=spec.recurrent.recurrent_dropout,
        stateful=stateful,
        name=name,
    )
    if spec.recurrent.bidirectional:
        return keras.layers.Bidirectional(layer, name=f"bi_{name}")
    return layer


def _recurrent_stack(spec: ModelSpec, x, *, last_returns_sequences: bool, stateful: bool):
    units = spec.recurrent.units
    for i, width in enumerate(units):
        sequences = i < len(units) - 1 or last_returns_sequences
        x = recurrent_layer(spec, width, sequences, f"{spec.cell}_{i + 1}", stateful)(x)
    return x


def _time_distributed(spec: ModelSpec, x):
    """The optional TimeDistributed(Dense) stack on sequence outputs, then flattened."""
    import keras

    for i, width in enumerate(spec.time_distributed_units):
        dense = keras.layers.Dense(width, activation="relu")
        x = keras.layers.TimeDistributed(dense, name=f"time_distributed_{i + 1}")(x)
    return keras.layers.Flatten(name="flatten_steps")(x)


@architecture("lstm")
@architecture("gru")
def stacked_recurrent(spec: ModelSpec, inputs, *, stateful=False):
    """The recurrent stack, then the optional TimeDistributed(Dense) stack, flattened."""
    sequences = bool(spec.time_distributed_units)
    x = _recurrent_stack(spec, inputs, last_returns_sequences=sequences, stateful=stateful)
    return _time_distributed(spec, x) if sequences else x


@architecture("conv_rnn")
def conv_rnn(spec: ModelSpec, inputs, *, stateful=False):
    """Conv1D (or SeparableConv1D) layers that shorten or widen the view, then the stack."""
    import keras

    conv = spec.conv
    x = inputs
    for i, filters in enumerate(conv.filters):
        cls = keras.layers.SeparableConv1D if conv.separable else keras.layers.Conv1D
        x = cls(
            filters,
            conv.kernel_size,
            strides=conv.strides,
            dilation_rate=conv.dilation_rate,
            padding="same",
            activation=conv.activation,
            name=f"conv_{i + 1}",
        )(x)
    return stacked_recurrent(spec, x, stateful=stateful)


@architecture("hierarchical")
def hierarchical(spec: ModelSpec, inputs, *, stateful=False):
    """A lower recurrent layer over each chunk, the stack over the chunk summaries. Raises
    :class:`ModelSpecError` when the chunk length does not divide the input length."""
    import keras

    length, n_features = inputs.shape[1], inputs.shape[2]
    chunk = spec.hierarchical.chunk_length
    if length % chunk:
        raise ModelSpecError(
            f"modelling.hierarchical.chunk_length {chunk} does not divide "
            f"windowing.input_length {length}: pick a divisor of {length}."
        )
    x = keras.layers.Reshape((length // chunk, chunk, n_features), name="chunks")(inputs)
    lower = recurrent_layer(spec, spec.hierarchical.lower_units, False, "lower_rnn", False)
    x = keras.layers.TimeDistributed(lower, name="chunk_summaries")(x)
    return stacked_recurrent(spec, x, stateful=stateful)


@architecture("attention")
def attention(spec: ModelSpec, inputs, *, stateful=False):
    """A recurrent encoder whose last step queries all its steps (multi-head attention)."""
    import keras

    sequence = _recurrent_stack(spec, inputs, last_returns_sequences=True, stateful=stateful)
    steps = sequence.shape[1]
    # the last encoder step is the query; every encoder step is key and value
    query = keras.layers.Cropping1D((steps - 1, 0), name="last_step")(sequence)
    pooled = keras.layers.MultiHeadAttention(
        num_heads=spec.attention.heads, key_dim=spec.attention.key_dim, name="attention_pool"
    )(query=query, value=sequence, key=sequence)
    return keras.layers.Flatten(name="pooled")(pooled)


def _head(spec: ModelSpec, x, horizon: int, n_targets: int):
    import keras

    for i, width in enumerate(spec.dense_units):
        x = keras.layers.Dense(width, activation="relu", name=f"dense_{i + 1}")(x)
    if spec.task == "classification":
        return keras.layers.Dense(
            spec.n_classes, activation="softmax", dtype="float32", name="class_probabilities"
        )(x)
    x = keras.layers.Dense(horizon * n_targets, dtype="float32", name="forecast_flat")(x)
    return keras.layers.Reshape((horizon, n_targets), dtype="float32", name="forecast")(x)
