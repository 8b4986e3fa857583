"""Layers that keep padded time steps from changing a prediction.

A classification batch holds sequences of different lengths, zero-padded at the end, with a
boolean ``mask`` (True = a real step). Every layer that mixes time steps sees the mask:
convolutions see zeros beyond the true end (as 'same' padding gives the unpadded sequence),
BatchNormalization takes its moments over real steps, recurrent layers skip padded steps,
pooling averages real steps only, attention ignores padded keys. With these, the same
sequence padded to two lengths gets the same probabilities (in inference mode).

The layers are registered Keras serializables, so models save to ``.keras`` and load with
``safe_mode=True``.

    >>> x, mask = masked_conv(x, mask, filters=64, kernel_size=8, name="conv_1")
    >>> pooled = masked_average(x, mask, name="pooled")
"""

import keras
from keras import ops

PACKAGE = "lstm_pipeline"


class _ExplicitMask(keras.layers.Layer):
    """Takes its mask as an input, explicitly: a mask Keras attached to an input tensor
    (BatchNormalization and recurrent layers attach theirs) is accepted and not passed
    on, since every masked layer here is handed its mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package=PACKAGE)
class ApplyMask(_ExplicitMask):
    """``[values (B, T, D), mask (B, T)] -> values`` with padded steps set to exactly 0."""

    def call(self, inputs):
        values, mask = inputs
        return values * ops.expand_dims(ops.cast(mask, values.dtype), -1)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


@keras.saving.register_keras_serializable(package=PACKAGE)
class DownsampleMask(_ExplicitMask):
    """The mask of a strided convolution's output: step i is real when input step
    ``i * strides`` is (the output has ``ceil(T / strides)`` steps)."""

    def __init__(self, strides: int, **kwargs):
        super().__init__(**kwargs)
        self.strides = strides

    def call(self, mask):
        kept = ops.arange(0, ops.shape(mask)[1], self.strides)
        return ops.take(mask, kept, axis=1)

    def compute_output_spec(self, mask):
        return keras.KerasTensor((mask.shape[0], _ceil(mask.shape[1], self.strides)), mask.dtype)

    def get_config(self):
        return {**super().get_config(), "strides": self.strides}


@keras.saving.register_keras_serializable(package=PACKAGE)
class LastValidStep(_ExplicitMask):
    """``[sequence (B, T, D), mask (B, T)] -> (B, 1, D)``: each sequence at its last real
    step (right-padded masks)."""

    def call(self, inputs):
        sequence, mask = inputs
        last = ops.maximum(ops.sum(ops.cast(mask, "int32"), axis=1) - 1, 0)
        index = ops.reshape(last, (-1, 1, 1))
        return ops.take_along_axis(sequence, index, axis=1)

    def compute_output_shape(self, input_shapes):
        batch, _, width = input_shapes[0]
        return (batch, 1, width)


def _ceil(length: int | None, step: int) -> int | None:
    """Steps left after cutting ``length`` steps by ``step`` (unknown stays unknown)."""
    return None if length is None else -(-length // step)


def fold_chunks(tensor, chunk_length: int):
    """``(B, T, ...) -> (B * N, chunk_length, ...)``, T padded at the end to a multiple of
    ``chunk_length`` with zeros (False for a mask)."""
    pad = (chunk_length - ops.shape(tensor)[1] % chunk_length) % chunk_length
    widths = [[0, 0], [0, pad]] + [[0, 0]] * (len(tensor.shape) - 2)
    fill = False if tensor.dtype == "bool" else 0
    padded = ops.pad(tensor, widths, constant_values=fill)
    return ops.reshape(padded, (-1, chunk_length, *tensor.shape[2:]))


@keras.saving.register_keras_serializable(package=PACKAGE)
class FoldChunks(_ExplicitMask):
    """``(B, T, ...) -> (B * N, chunk_length, ...)``: T padded at the end to a multiple of
    ``chunk_length`` (zeros; False for a mask), then cut into N chunks, chunk after chunk.

    For a mask, ``keep_first`` marks the first step of every chunk real, so that no row is
    all padding (a recurrent layer over a zero-length sequence fails on cuDNN); chunks that
    are all padding are left out later by :class:`ChunkMask`, so what they hold never
    counts."""

    def __init__(self, chunk_length: int, keep_first: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.chunk_length = chunk_length
        self.keep_first = keep_first

    def call(self, inputs):
        rows = fold_chunks(inputs, self.chunk_length)
        if self.keep_first:
            first = ops.expand_dims(ops.arange(self.chunk_length) == 0, 0)
            rows = ops.logical_or(rows, first)
        return rows

    def compute_output_spec(self, inputs):
        shape = (None, self.chunk_length, *inputs.shape[2:])
        return keras.KerasTensor(shape, dtype=inputs.dtype)

    def get_config(self):
        config = {"chunk_length": self.chunk_length, "keep_first": self.keep_first}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ChunkMask(_ExplicitMask):
    """``mask (B, T) -> (B, N)``: a chunk is real when any of its steps is."""

    def __init__(self, chunk_length: int, **kwargs):
        super().__init__(**kwargs)
        self.chunk_length = chunk_length

    def call(self, mask):
        rows = fold_chunks(mask, self.chunk_length)
        real = ops.any(rows, axis=1)
        return ops.reshape(real, (ops.shape(mask)[0], -1))

    def compute_output_spec(self, mask):
        chunks = _ceil(mask.shape[1], self.chunk_length)
        return keras.KerasTensor((mask.shape[0], chunks), dtype="bool")

    def get_config(self):
        return {**super().get_config(), "chunk_length": self.chunk_length}


@keras.saving.register_keras_serializable(package=PACKAGE)
class UnfoldChunks(_ExplicitMask):
    """``[per-chunk summaries (B * N, D), chunk mask (B, N)] -> (B, N, D)``."""

    def call(self, inputs):
        summaries, chunk_mask = inputs
        shape = ops.shape(chunk_mask)
        return ops.reshape(summaries, (shape[0], shape[1], summaries.shape[-1]))

    def compute_output_shape(self, input_shapes):
        summaries, chunk_mask = input_shapes
        return (chunk_mask[0], chunk_mask[1], summaries[-1])


def masked_conv(
    x,
    mask,
    *,
    filters: int,
    kernel_size: int,
    name: str,
    strides: int = 1,
    dilation_rate: int = 1,
    separable: bool = False,
    activation=None,
):
    """A Conv1D (or SeparableConv1D) over real steps only: ``(x, mask) -> (x, mask)``.

    Padded steps are zeroed first, so the kernel sees zeros beyond the true end, exactly as
    'same' padding shows the unpadded sequence. A strided convolution pads explicitly
    ((k - 1) * d // 2 zeros before, the rest after, whatever T is; Keras's 'same' would
    shift its windows with T) and the mask is downsampled to match.
    """
    x = ApplyMask(name=f"{name}_masked")([x, mask])
    cls = keras.layers.SeparableConv1D if separable else keras.layers.Conv1D
    padding = "same"
    if strides > 1:
        span = (kernel_size - 1) * dilation_rate
        x = keras.layers.ZeroPadding1D((span // 2, span - span // 2), name=f"{name}_pad")(x)
        padding = "valid"
        mask = DownsampleMask(strides, name=f"{name}_mask")(mask)
    conv = cls(
        filters,
        kernel_size,
        strides=strides,
        dilation_rate=dilation_rate,
        padding=padding,
        activation=activation,
        name=name,
    )
    return conv(x), mask


def masked_average(x, mask, name: str):
    """Global average pooling over real steps (plain pooling when ``mask`` is None)."""
    pooling = keras.layers.GlobalAveragePooling1D(name=name)
    return pooling(x) if mask is None else pooling(x, mask=mask)


# Every loader of a project model (KerasModelDataset, the checkpoint store) imports this
# module to register the masking layers; the quantile head's layer and loss, the low-rank
# layers and the Transformer's layers register with them.
from lstm_pipeline.models import attention_layers, lowrank, quantiles  # noqa: E402, F401
