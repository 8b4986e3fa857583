"""Quantile forecasts: the layer that ends a quantile head, and the pinball loss it trains on.

With ``modelling.quantiles`` set (e.g. ``[0.1, 0.5, 0.9]``) every forecasting model ends in
:class:`QuantileForecast`, output ``(batch, horizon, n_targets, n_quantiles)`` (per-step
models: ``(batch, steps, horizon, n_targets, n_quantiles)``), ascending along the last axis.
The levels live in that layer's config, so training (the loss) and evaluation (the columns)
read them from the model itself (:func:`quantile_levels`), never from settings that could
disagree with it. Both classes are registered Keras serializables: models save to ``.keras``
and load, compiled, with ``safe_mode=True`` (:mod:`lstm_pipeline.models.masking` imports
this module, so every loader that registers the masking layers registers these too).

    >>> model.compile(optimizer="adam", loss=PinballLoss(quantile_levels(model)))
"""

import keras
from keras import ops

PACKAGE = "lstm_pipeline"


@keras.saving.register_keras_serializable(package=PACKAGE)
class QuantileForecast(keras.layers.Layer):
    """Raw values ``(..., n_quantiles)`` -> quantiles that never cross: the median's value
    as it is, each level above it the next lower one plus a softplus step, each level below
    the next higher one minus a softplus step. A crossing forecast (the 0.9 quantile under
    the 0.1 one) would make intervals and the plotted band meaningless."""

    def __init__(self, quantiles, **kwargs):
        super().__init__(**kwargs)
        self.quantiles = [float(q) for q in quantiles]
        self.median = self.quantiles.index(0.5)

    def call(self, raw):
        m = self.median
        parts = [raw[..., m : m + 1]]
        if m + 1 < len(self.quantiles):
            steps_up = ops.cumsum(ops.softplus(raw[..., m + 1 :]), axis=-1)
            parts.append(parts[0] + steps_up)
        if m > 0:
            below = ops.flip(ops.softplus(raw[..., :m]), axis=-1)  # nearest the median first
            parts.insert(0, parts[0] - ops.flip(ops.cumsum(below, axis=-1), axis=-1))
        return ops.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss averaged over the levels: for level q and error
    e = actual - forecast, ``max(q * e, (q - 1) * e)``. ``y_true`` has the forecast's shape
    without the last (quantile) axis; Keras averages over batch, steps and targets."""

    def __init__(self, quantiles, name: str = "pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = [float(q) for q in quantiles]

    def call(self, y_true, y_pred):
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        return ops.mean(ops.maximum(levels * error, (levels - 1) * error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


def quantile_levels(model) -> list[float] | None:
    """The levels of ``model``'s quantile head, or None for a point forecaster."""
    for layer in reversed(getattr(model, "layers", [])):
        if isinstance(layer, QuantileForecast):
            return list(layer.quantiles)
    return None


def quantile_output(x, quantiles, name: str):
    """Raw ``(..., n_quantiles)`` values -> ordered quantiles, computed in float32."""
    return QuantileForecast(quantiles, dtype="float32", name=name)(x)
