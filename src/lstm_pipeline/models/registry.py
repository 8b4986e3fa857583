"""Architecture registry: a :class:`ModelSpec` and the window shapes -> a ``keras.Model``.

Forecasting models are plain Keras layers; classification models add the registered masking
layers of :mod:`lstm_pipeline.models.masking` (no Lambda), so both save to ``.keras`` and
load with ``safe_mode=True``. Under mixed precision the output layers compute in float32.

    >>> spec = ModelSpec(architecture="gru", recurrent={"units": [64, 32]})
    >>> model = build_model(spec, input_length=168, n_features=7, horizon=24, n_targets=1)
    >>> classifier = build_model(spec, n_features=1, task="classification", n_classes=2)
"""

from collections.abc import Callable

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.precision import dtype_policy
from lstm_pipeline.models.side import NO_SIDE_INPUTS, SideInputs, join_side, side_tensors
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.task import TASKS, Task

ARCHITECTURES: dict[str, Callable] = {}


def architecture(name: str):
    """Register the decorated builder ``(spec, inputs, *, mask, stateful) -> features`` as
    ``name`` in :data:`ARCHITECTURES`; ``mask`` is None for fixed windows (forecasting),
    else the (B, T) bool mask of real steps, which the builder must honour throughout."""

    def register(builder):
        ARCHITECTURES[name] = builder
        return builder

    return register


def build_model(
    spec: ModelSpec,
    *,
    input_length: int | None = None,
    n_features: int,
    horizon: int = 1,
    n_targets: int = 1,
    precision: str = "float32",
    batch_size: int | None = None,
    stateful: bool = False,
    name: str | None = None,
    task: Task = "forecast",
    n_classes: int | None = None,
    side: SideInputs = NO_SIDE_INPUTS,
):
    """Build (not compile) the model ``spec`` describes for windows of this shape.

    ``batch_size`` fixes the batch dimension (needed by ``stateful`` recurrent layers, whose
    state carries from one batch to the next). For ``task`` "classification" the model takes
    ``{"values": (B, T, n_features) float32, "mask": (B, T) bool}`` of any length T (padded
    steps masked) and returns ``n_classes`` probabilities; horizon, n_targets and
    input_length do not apply. A forecaster with ``side`` inputs (see
    :mod:`lstm_pipeline.models.side`) takes ``{"inputs": window, "future": ..., "series": ...}``.
    """
    import keras

    _check_build(task, stateful, batch_size, n_classes, spec.quantiles, side)
    with dtype_policy(precision):
        inputs, values, mask = _model_inputs(task, input_length, n_features, batch_size)
        builder = ARCHITECTURES[spec.architecture]
        features = builder(spec, values, mask=mask, stateful=stateful)
        if task == "classification":
            outputs = _classification_head(spec, features, n_classes)
        else:
            tensors = side_tensors(side, horizon)
            features = join_side(spec, side, features, tensors)
            inputs = {"inputs": inputs, **tensors} if tensors else inputs
            outputs = _head(spec, features, horizon, n_targets)
        return keras.Model(inputs, outputs, name=name or spec.architecture)


def _model_inputs(task: str, input_length, n_features: int, batch_size):
    """(model inputs, the values the architecture reads, their mask or None)."""
    import keras

    if task == "classification":
        values = keras.Input(shape=(None, n_features), name="values")
        mask = keras.Input(shape=(None,), dtype="bool", name="mask")
        return {"values": values, "mask": mask}, values, mask
    if batch_size is None:
        values = keras.Input(shape=(input_length, n_features), name="inputs")
    else:
        values = keras.Input(batch_shape=(batch_size, input_length, n_features), name="inputs")
    return values, values, None


def _check_build(task: str, stateful: bool, batch_size, n_classes, quantiles, side) -> None:
    if task not in TASKS:
        raise ModelSpecError(f"task must be one of {TASKS}, got {task!r}")
    if stateful and batch_size is None:
        raise ModelSpecError("stateful recurrent layers need a fixed batch_size")
    if side and (stateful or task == "classification"):
        raise ModelSpecError(
            f"Side inputs ({side}) are for window forecasters: a stateful per-step model "
            f"(truncated BPTT) and a classifier cannot take them. Set windowing."
            f"future_features: [] and normalisation.series_input to none or onehot."
        )
    if task != "classification":
        return
    if quantiles:
        raise ModelSpecError(
            "modelling.quantiles applies to forecasting: a classifier already predicts a "
            "probability per class. Set modelling.quantiles: null for task classification."
        )
    if stateful:
        raise ModelSpecError(
            "A classification model reads whole sequences: it cannot be stateful (truncated "
            "BPTT is for forecasting); turn training.tbptt.enabled off."
        )
    if n_classes is None or n_classes < 2:
        raise ModelSpecError(
            f"A classification model needs 2 or more classes, got {n_classes}: the classes "
            f"come from the label mapping of the training data."
        )


def recurrent_layer(spec: ModelSpec, units: int, return_sequences: bool, name: str, stateful):
    """One LSTM/GRU layer of ``spec``'s cell and dropouts, Bidirectional when configured;
    with ``low_rank``, an RNN over the factorised cell (never cuDNN: see models.lowrank)."""
    import keras

    if spec.low_rank is not None:
        from lstm_pipeline.models.lowrank import LOW_RANK_CELLS

        cell = LOW_RANK_CELLS[spec.cell](units, spec.low_rank, name=f"{name}_cell")
        layer = keras.layers.RNN(
            cell, return_sequences=return_sequences, stateful=stateful, name=name
        )
    else:
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


def _recurrent_stack(spec: ModelSpec, x, mask, *, last_returns_sequences: bool, stateful):
    """The recurrent layers; with a mask, padded steps are skipped and a last layer that
    returns one state returns the state at the last real step."""
    units = spec.recurrent.units
    for i, width in enumerate(units):
        sequences = i < len(units) - 1 or last_returns_sequences
        layer = recurrent_layer(spec, width, sequences, f"{spec.cell}_{i + 1}", stateful)
        x = layer(x) if mask is None else layer(x, mask=mask)
    return x


def _time_distributed(spec: ModelSpec, x, mask):
    """The optional TimeDistributed(Dense) stack on sequence outputs, then flattened (a
    fixed window) or averaged over real steps (masked sequences of any length)."""
    import keras

    from lstm_pipeline.models.masking import masked_average

    for i, width in enumerate(spec.time_distributed_units):
        dense = dense_layer(spec, width, f"step_dense_{i + 1}", "relu")
        x = keras.layers.TimeDistributed(dense, name=f"time_distributed_{i + 1}")(x)
    if mask is not None:
        return masked_average(x, mask, "pooled_steps")
    return keras.layers.Flatten(name="flatten_steps")(x)


@architecture("lstm")
@architecture("gru")
def stacked_recurrent(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """The recurrent stack, then the optional TimeDistributed(Dense) stack, flattened."""
    sequences = bool(spec.time_distributed_units)
    x = _recurrent_stack(spec, inputs, mask, last_returns_sequences=sequences, stateful=stateful)
    return _time_distributed(spec, x, mask) if sequences else x


@architecture("conv_rnn")
def conv_rnn(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """Conv1D (or SeparableConv1D) layers that shorten or widen the view, then the stack.
    With a mask, each convolution sees real steps only and strides shorten the mask too."""
    import keras

    from lstm_pipeline.models.masking import masked_conv

    conv = spec.conv
    x = inputs
    for i, filters in enumerate(conv.filters):
        settings = {
            "filters": filters,
            "kernel_size": conv.kernel_size,
            "strides": conv.strides,
            "dilation_rate": conv.dilation_rate,
            "activation": conv.activation,
            "name": f"conv_{i + 1}",
        }
        if mask is not None:
            x, mask = masked_conv(x, mask, separable=conv.separable, **settings)
            continue
        cls = keras.layers.SeparableConv1D if conv.separable else keras.layers.Conv1D
        x = cls(padding="same", **settings)(x)
    return stacked_recurrent(spec, x, mask=mask, stateful=stateful)


@architecture("hierarchical")
def hierarchical(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """A lower recurrent layer over each chunk, the stack over the chunk summaries. Raises
    :class:`ModelSpecError` when the chunk length does not divide a fixed input length."""
    import keras

    if mask is not None:
        return _masked_hierarchical(spec, inputs, mask, stateful)
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


def _masked_hierarchical(spec: ModelSpec, inputs, mask, stateful):
    """Sequences of any length: padded to a multiple of the chunk length, every chunk
    summarised by the lower layer in one batch (B * chunks rows, chunk_length steps, so the
    sequential depth is chunk_length + chunks, not T), chunks of padding left out above."""
    from lstm_pipeline.models.masking import ChunkMask, FoldChunks, UnfoldChunks

    chunk = spec.hierarchical.chunk_length
    rows = FoldChunks(chunk, name="chunks")(inputs)
    row_mask = FoldChunks(chunk, keep_first=True, name="chunk_step_mask")(mask)
    chunk_mask = ChunkMask(chunk, name="chunk_mask")(mask)
    lower = recurrent_layer(spec, spec.hierarchical.lower_units, False, "lower_rnn", False)
    summaries = lower(rows, mask=row_mask)
    x = UnfoldChunks(name="chunk_summaries")([summaries, chunk_mask])
    return stacked_recurrent(spec, x, mask=chunk_mask, stateful=stateful)


@architecture("attention")
def attention(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """A recurrent encoder whose last step queries all its steps (multi-head attention);
    with a mask, the last real step queries the real steps."""
    import keras

    sequence = _recurrent_stack(spec, inputs, mask, last_returns_sequences=True, stateful=stateful)
    pool = keras.layers.MultiHeadAttention(
        num_heads=spec.attention.heads, key_dim=spec.attention.key_dim, name="attention_pool"
    )
    if mask is None:
        steps = sequence.shape[1]
        # the last encoder step is the query; every encoder step is key and value
        query = keras.layers.Cropping1D((steps - 1, 0), name="last_step")(sequence)
        pooled = pool(query=query, value=sequence, key=sequence)
    else:
        from lstm_pipeline.models.masking import LastValidStep

        query = LastValidStep(name="last_step")([sequence, mask])
        pooled = pool(query=query, value=sequence, key=sequence, value_mask=mask, key_mask=mask)
    return keras.layers.Flatten(name="pooled")(pooled)


def dense_layer(spec: ModelSpec, units: int, name: str, activation=None):
    """A Dense layer, or with ``low_rank`` its factorised twin (models.lowrank)."""
    import keras

    if spec.low_rank is None:
        return keras.layers.Dense(units, activation=activation, name=name)
    from lstm_pipeline.models.lowrank import LowRankDense

    return LowRankDense(units, spec.low_rank, activation=activation, name=name)


def _dense_stack(spec: ModelSpec, x):
    for i, width in enumerate(spec.dense_units):
        x = dense_layer(spec, width, f"dense_{i + 1}", "relu")(x)
    return x


def _head(spec: ModelSpec, x, horizon: int, n_targets: int):
    return forecast_output(_dense_stack(spec, x), horizon, n_targets, spec.quantiles)


def forecast_output(x, horizon: int, n_targets: int, quantiles=None, *, steps=None):
    """The output layers of every forecasting model, in float32: one Dense, then the
    forecast ``(horizon, n_targets)``, or with ``quantiles`` ``(horizon, n_targets,
    n_quantiles)`` through :class:`~lstm_pipeline.models.quantiles.QuantileForecast`.

    ``steps`` is for per-step models over ``(batch, steps, features)``: ``"all"`` keeps a
    forecast per step, an int (the window length) keeps the last step's only.
    """
    import keras

    shape = (horizon, n_targets, len(quantiles)) if quantiles else (horizon, n_targets)
    width = horizon * n_targets * (len(quantiles) if quantiles else 1)
    # Dense maps the last axis at every step. Not TimeDistributed, nor a Reshape((-1, ...)):
    # with either, Keras's traced predict returned one step for a second sequence length
    x = keras.layers.Dense(width, dtype="float32", name="forecast_flat")(x)
    if isinstance(steps, int):
        x = keras.layers.Cropping1D((steps - 1, 0), dtype="float32", name="last_step")(x)
    elif steps == "all":
        shape = (-1, *shape)
    if not quantiles:
        return keras.layers.Reshape(shape, dtype="float32", name="forecast")(x)
    from lstm_pipeline.models.quantiles import quantile_output

    x = keras.layers.Reshape(shape, dtype="float32", name="forecast_raw")(x)
    return quantile_output(x, quantiles, name="forecast")


def _classification_head(spec: ModelSpec, x, n_classes: int):
    """Dense layers, then softmax over the classes, computed in float32."""
    import keras

    x = _dense_stack(spec, x)
    return keras.layers.Dense(
        n_classes, activation="softmax", dtype="float32", name="class_probabilities"
    )(x)
