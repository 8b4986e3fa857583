"""Low-rank factorised layers (``modelling.low_rank: r``): fewer parameters per layer.

A Dense kernel W (m x n) becomes two factors U (m x r) and V (r x n): ``x @ U @ V``, so
r(m + n) weights instead of mn (fewer when r < mn / (m + n)), and the product is never
formed. The recurrent cells factorise both kernels the same way: the input kernel
(m x 4u for LSTM, m x 3u for GRU) and the recurrent kernel (u x 4u, u x 3u).

The cells are custom: Keras runs them step by step in its generic RNN loop, never on the
cuDNN kernel (a GPU trains them several times slower than a plain LSTM/GRU of the same
width); the model summary says so per layer. They support no dropout (the spec refuses
``recurrent.dropout``/``recurrent_dropout`` with ``low_rank``).

All three are registered Keras serializables: models save to ``.keras`` and load with
``safe_mode=True`` (:mod:`lstm_pipeline.models.masking` imports this module).

    >>> LowRankDense(256, rank=16)              # in place of Dense(256)
    >>> keras.layers.RNN(LowRankLSTMCell(64, rank=8), return_sequences=True)
"""

import keras
from keras import ops

PACKAGE = "lstm_pipeline"


def _factors(layer, rows: int, cols: int, rank: int, name: str):
    """U (rows x rank) and V (rank x cols), Glorot-uniform each."""
    left = layer.add_weight(shape=(rows, rank), name=f"{name}_left", initializer="glorot_uniform")
    right = layer.add_weight(shape=(rank, cols), name=f"{name}_right", initializer="glorot_uniform")
    return left, right


@keras.saving.register_keras_serializable(package=PACKAGE)
class LowRankDense(keras.layers.Layer):
    """Dense with its kernel factorised: ``activation(x @ U @ V + b)`` over the last axis."""

    def __init__(self, units: int, rank: int, activation=None, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.rank = rank
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.left, self.right = _factors(self, input_shape[-1], self.units, self.rank, "kernel")
        self.bias = (
            self.add_weight(shape=(self.units,), name="bias", initializer="zeros")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        x = ops.matmul(ops.matmul(inputs, self.left), self.right)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "rank": self.rank,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


class _LowRankCell(keras.layers.Layer):
    """A recurrent cell whose input and recurrent kernels are low-rank products; ``gates``
    blocks of ``units`` each (4 for LSTM, 3 for GRU)."""

    gates = 0

    def __init__(self, units: int, rank: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.rank = rank

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel_left, self.kernel_right = _factors(
            self, input_shape[-1], width, self.rank, "kernel"
        )
        self.recurrent_left, self.recurrent_right = _factors(
            self, self.units, width, self.rank, "recurrent_kernel"
        )
        self.bias = self.add_weight(shape=(2, width), name="bias", initializer=self._bias_init)

    def _bias_init(self, shape, dtype=None):
        return ops.zeros(shape, dtype=dtype)

    def _projections(self, inputs, h_tm1):
        """(x U V + b_input, h U' V' + b_recurrent), each (batch, gates * units)."""
        x = ops.matmul(ops.matmul(inputs, self.kernel_left), self.kernel_right) + self.bias[0]
        h = ops.matmul(ops.matmul(h_tm1, self.recurrent_left), self.recurrent_right)
        return x, h + self.bias[1]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank}


@keras.saving.register_keras_serializable(package=PACKAGE)
class LowRankLSTMCell(_LowRankCell):
    """LSTM cell (tanh, sigmoid gates, forget-gate bias 1) with factorised kernels."""

    gates = 4

    @property
    def state_size(self):
        return [self.units, self.units]

    @property
    def output_size(self):
        return self.units

    def _bias_init(self, shape, dtype=None):
        forget = ops.concatenate([ops.zeros((self.units,)), ops.ones((self.units,))])
        row = ops.concatenate([forget, ops.zeros((2 * self.units,))])
        return ops.cast(ops.stack([row, ops.zeros_like(row)]), dtype or "float32")

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        x, h = self._projections(inputs, h_tm1)
        i, f, g, o = ops.split(x + h, 4, axis=-1)
        c = ops.sigmoid(f) * c_tm1 + ops.sigmoid(i) * ops.tanh(g)
        h_new = ops.sigmoid(o) * ops.tanh(c)
        return h_new, [h_new, c]


@keras.saving.register_keras_serializable(package=PACKAGE)
class LowRankGRUCell(_LowRankCell):
    """GRU cell (Keras's default reset_after=True form) with factorised kernels."""

    gates = 3

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        x, h = self._projections(inputs, h_tm1)
        x_z, x_r, x_h = ops.split(x, 3, axis=-1)
        h_z, h_r, h_h = ops.split(h, 3, axis=-1)
        z = ops.sigmoid(x_z + h_z)
        r = ops.sigmoid(x_r + h_r)
        candidate = ops.tanh(x_h + r * h_h)
        h_new = z * h_tm1 + (1 - z) * candidate
        return h_new, ([h_new] if nested else h_new)


LOW_RANK_CELLS = {"lstm": LowRankLSTMCell, "gru": LowRankGRUCell}
