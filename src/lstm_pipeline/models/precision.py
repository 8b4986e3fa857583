"""Keras dtype policies by name, set only for as long as a model is being built."""

from contextlib import contextmanager
from typing import Literal, get_args

# the one definition of the allowed precisions (parameter models use it as their type)
Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]


@contextmanager
def dtype_policy(precision: str):
    """Build layers under ``precision``; the global policy is restored afterwards (saved
    layers carry their own policy, so a loaded model needs none)."""
    import keras

    allowed = get_args(Precision)
    if precision not in allowed:
        raise ValueError(f"precision must be one of {allowed}, got {precision!r}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def model_precision(model) -> str:
    """The policy a model was built under, read from its layers: a loaded functional model's
    own ``dtype_policy`` is whatever the global policy is at load time."""
    for layer in model.layers:
        if type(layer).__name__ != "InputLayer":
            return layer.dtype_policy.name
    return model.dtype_policy.name
