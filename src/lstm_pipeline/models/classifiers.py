"""Convolutional time-series classifiers joining the registry: FCN and ResNet (Wang, Yan,
Oates 2017, "Time series classification from scratch with deep neural networks: a strong
baseline") and LSTM-FCN (Karim, Majumdar, Darabi, Chen 2018, "LSTM fully convolutional
networks for time series classification").

Each builds on fixed windows (forecasting, ``mask`` None) or on masked sequences of any
length (classification): padded steps are zeroed before every convolution, BatchNorm takes
its moments over real steps, global average pooling averages real steps only.

Deviation from the LSTM-FCN paper: its "dimension shuffle" feeds the LSTM the whole series
as one step of T features, which needs one fixed length; here the LSTM reads the sequence
step by step (masked), which any length allows.
"""

from lstm_pipeline.models.registry import architecture, recurrent_layer
from lstm_pipeline.models.spec import ModelSpec


def _conv_bn(x, mask, filters: int, kernel_size: int, name: str, relu=True, separable=False):
    """Conv1D ('same') -> BatchNormalization -> ReLU, over real steps when masked;
    ``separable``: a depthwise-separable convolution (SeparableConv1D) instead."""
    import keras

    from lstm_pipeline.models.masking import masked_conv

    if mask is None:
        cls = keras.layers.SeparableConv1D if separable else keras.layers.Conv1D
        x = cls(filters, kernel_size, padding="same", name=name)(x)
    else:
        settings = {"filters": filters, "kernel_size": kernel_size, "separable": separable}
        x, mask = masked_conv(x, mask, name=name, **settings)
    norm = keras.layers.BatchNormalization(name=f"{name}_bn")
    x = norm(x) if mask is None else norm(x, mask=mask)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def fcn_features(spec: ModelSpec, inputs, mask):
    """The FCN body: one conv block per ``fcn.filters`` entry, then global average pooling."""
    from lstm_pipeline.models.masking import masked_average

    x = inputs
    blocks = zip(spec.fcn.filters, spec.fcn.kernel_sizes, strict=True)
    for i, (filters, kernel) in enumerate(blocks):
        x = _conv_bn(x, mask, filters, kernel, f"fcn_conv_{i + 1}", separable=spec.fcn.separable)
    return masked_average(x, mask, "fcn_pooled")


@architecture("fcn")
def fcn(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """FCN: conv blocks of 128/256/128 filters, kernels 8/5/3 (``fcn``), average pooling;
    ``fcn.separable`` makes them depthwise-separable (also lstm_fcn's branch)."""
    return fcn_features(spec, inputs, mask)


def _residual_block(x, mask, filters: int, resnet, name: str):
    """One convolution per kernel size (the last without ReLU), plus the shortcut: 1x1 conv
    + BatchNorm where the width changes, BatchNorm alone where it does not; then ReLU."""
    import keras

    from lstm_pipeline.models.masking import ApplyMask

    shortcut = x
    for j, kernel in enumerate(resnet.kernel_sizes):
        last = j == len(resnet.kernel_sizes) - 1
        conv_name = f"{name}_conv_{j + 1}"
        x = _conv_bn(x, mask, filters, kernel, conv_name, not last, resnet.separable)
    if shortcut.shape[-1] != filters:
        if mask is not None:
            shortcut = ApplyMask(name=f"{name}_shortcut_masked")([shortcut, mask])
        shortcut = keras.layers.Conv1D(filters, 1, name=f"{name}_shortcut")(shortcut)
    norm = keras.layers.BatchNormalization(name=f"{name}_shortcut_bn")
    shortcut = norm(shortcut) if mask is None else norm(shortcut, mask=mask)
    x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
    return keras.layers.ReLU(name=f"{name}_relu")(x)


@architecture("resnet")
def resnet(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """ResNet: residual blocks of 64/128/128 filters, kernels 8/5/3 each (``resnet``)."""
    from lstm_pipeline.models.masking import masked_average

    x = inputs
    for i, filters in enumerate(spec.resnet.block_filters):
        x = _residual_block(x, mask, filters, spec.resnet, f"block_{i + 1}")
    return masked_average(x, mask, "resnet_pooled")


@architecture("lstm_fcn")
def lstm_fcn(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """LSTM-FCN: a recurrent branch (``lstm_fcn.units`` of ``recurrent.cell``, its last
    real state, then ``lstm_fcn.dropout``) concatenated with the FCN branch."""
    import keras

    settings = spec.lstm_fcn
    rnn = recurrent_layer(spec, settings.units, False, "branch_rnn", stateful)
    state = rnn(inputs) if mask is None else rnn(inputs, mask=mask)
    state = keras.layers.Dropout(settings.dropout, name="branch_dropout")(state)
    pooled = fcn_features(spec, inputs, mask)
    return keras.layers.Concatenate(name="branches")([state, pooled])
