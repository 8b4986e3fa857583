"""Layers of the Transformer encoder (:mod:`lstm_pipeline.models.transformer`): positions,
attention masks for full, local (banded) and chunked attention, and the unfolding of
chunks back into a sequence.

Registered Keras serializables (no Lambda), so models save to ``.keras`` and load with
``safe_mode=True``; :mod:`lstm_pipeline.models.masking` imports this module.

    >>> x = SinusoidalPosition(name="position")(x)                # (B, T, D)
    >>> band = AttentionMask(window=16, name="band")(steps)        # (B, T) -> (B, T, T)
"""

import keras
from keras import ops

from lstm_pipeline.models.masking import PACKAGE, _ExplicitMask


@keras.saving.register_keras_serializable(package=PACKAGE)
class SinusoidalPosition(_ExplicitMask):
    """``x (B, T, D) -> x + PE``: the sine/cosine position code of Vaswani et al. (2017),
    computed for whatever T the batch has (sequences of any length), first half of the
    features sines, second half cosines."""

    def call(self, x):
        steps, width = ops.shape(x)[1], x.shape[-1]
        half = (width + 1) // 2
        position = ops.expand_dims(ops.cast(ops.arange(steps), "float32"), 1)
        rates = ops.exp(ops.arange(half, dtype="float32") * (-9.2103403720 / half))  # ln 1e4
        angles = position * ops.expand_dims(rates, 0)
        code = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)[:, :width]
        return x + ops.cast(ops.expand_dims(code, 0), x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class StepMask(_ExplicitMask):
    """``x (B, T, ...) -> (B, T)`` all True: the real steps of a fixed window."""

    def call(self, x):
        return ops.ones(ops.shape(x)[:2], dtype="bool")

    def compute_output_spec(self, x):
        return keras.KerasTensor(x.shape[:2], dtype="bool")


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionMask(_ExplicitMask):
    """``steps (B, T) -> (B, T, T)``: query i may attend key j when j is a real step and,
    with ``window``, ``|i - j| <= window`` (local attention: a band)."""

    def __init__(self, window: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.window = window

    def call(self, steps):
        allowed = ops.expand_dims(ops.cast(steps, "bool"), 1)  # (B, 1, T): the keys
        if self.window is None:
            return ops.repeat(allowed, ops.shape(steps)[1], axis=1)
        index = ops.arange(ops.shape(steps)[1])
        distance = ops.abs(ops.expand_dims(index, 1) - ops.expand_dims(index, 0))
        return ops.logical_and(allowed, ops.expand_dims(distance <= self.window, 0))

    def compute_output_spec(self, steps):
        batch, length = steps.shape
        return keras.KerasTensor((batch, length, length), dtype="bool")

    def get_config(self):
        return {**super().get_config(), "window": self.window}


@keras.saving.register_keras_serializable(package=PACKAGE)
class UnfoldSteps(_ExplicitMask):
    """``[rows (B * N, C, D), sequence (B, T, ...)] -> (B, T, D)``: chunks folded by
    :class:`~lstm_pipeline.models.masking.FoldChunks` put back in order, the padding
    added to reach a multiple of C cut off."""

    def call(self, inputs):
        rows, sequence = inputs
        batch, steps = ops.shape(sequence)[0], ops.shape(sequence)[1]
        joined = ops.reshape(rows, (batch, -1, rows.shape[-1]))
        return joined[:, :steps]

    def compute_output_shape(self, input_shapes):
        rows, sequence = input_shapes
        return (sequence[0], sequence[1], rows[-1])
