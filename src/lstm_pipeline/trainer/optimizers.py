"""Optimizer, learning-rate schedule, clipping, gradient accumulation and loss scaling."""

import keras

from lstm_pipeline.trainer.config import TrainingConfig


@keras.saving.register_keras_serializable(package="lstm_pipeline")
class PerUpdateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Evaluates ``schedule`` at the optimizer-update count, not the micro-batch count.

    Keras calls schedules with its micro-batch counter even under gradient accumulation;
    dividing by the accumulation steps makes a cosine over N updates last N updates.
    """

    def __init__(self, schedule, accumulation_steps: int):
        self.schedule = schedule
        self.accumulation_steps = accumulation_steps

    def __call__(self, step):
        return self.schedule(keras.ops.floor_divide(step, self.accumulation_steps))

    def get_config(self):
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "accumulation_steps": self.accumulation_steps,
        }

    @classmethod
    def from_config(cls, config):
        schedule = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(schedule, config["accumulation_steps"])


_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}


def build_optimizer(config: TrainingConfig, total_updates: int, own_accumulation: bool = False):
    """The optimizer ``config`` describes; wrapped for dynamic loss scaling under float16.

    ``own_accumulation``: the caller accumulates gradients itself and calls ``apply`` once per
    update (the distributed step), so the optimizer neither accumulates (Keras's accumulation
    fails under MirroredStrategy) nor needs its schedule counted in updates."""
    accumulation = 1 if own_accumulation else config.accumulation_steps
    learning_rate = config.learning_rate
    if config.schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate,
            decay_steps=max(1, total_updates),
            alpha=config.min_learning_rate / config.learning_rate,
        )
        if accumulation > 1:
            learning_rate = PerUpdateSchedule(learning_rate, accumulation)
    optimizer = _OPTIMIZERS[config.optimizer](
        learning_rate=learning_rate,
        clipnorm=config.clip_norm,
        # Keras wants None rather than 1 for "no accumulation"
        gradient_accumulation_steps=accumulation if accumulation > 1 else None,
    )
    if config.precision == "mixed_float16":
        # the accumulation argument must sit on the inner optimizer (the wrapper refuses it)
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def inner_optimizer(optimizer):
    """The optimizer itself, or the one a LossScaleOptimizer wraps."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def updates_done(optimizer) -> int:
    """Optimizer updates applied so far (micro-batches // accumulation steps)."""
    # convert_to_numpy: int() refuses the MirroredVariable of an optimizer built under a strategy
    return int(keras.ops.convert_to_numpy(inner_optimizer(optimizer).iterations))


def current_learning_rate(optimizer) -> float:
    """The learning rate the next update uses (a schedule evaluated at the update count)."""
    return float(keras.ops.convert_to_numpy(inner_optimizer(optimizer).learning_rate))
