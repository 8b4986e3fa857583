"""Keras callbacks of the training loop: loss accounting, NaN stop, step checkpoints."""

import math
import time

import keras

from lstm_pipeline.errors import TrainingDivergedError
from lstm_pipeline.trainer.optimizers import current_learning_rate, updates_done


class EpochProgress(keras.callbacks.Callback):
    """Counts micro-batches and sums their losses into the trainer state (so a resumed
    epoch reports the same mean loss as an uninterrupted one) and stops on NaN/inf."""

    def __init__(self, state, config) -> None:
        super().__init__()
        self.state = state
        self.config = config
        self.seconds = 0.0
        self.batches_this_call = 0

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        self._previous_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])  # Keras reports the running mean of this fit call
        loss = mean * (batch + 1) - self._previous_mean * batch
        self._previous_mean = mean
        if not math.isfinite(loss):
            raise TrainingDivergedError(self._diverged(loss))
        self.state.loss_sum += loss
        self.state.batches_done += 1
        self.batches_this_call += 1
        self.state.updates = updates_done(self.model.optimizer)
        self.seconds = time.perf_counter() - self._started

    def _diverged(self, loss: float) -> str:
        c = self.config
        return (
            f"The training loss became {loss} at epoch {self.state.epoch + 1}, micro-batch "
            f"{self.state.batches_done + 1} (optimizer update {self.state.updates}). Try: a "
            f"lower training.learning_rate (now {current_learning_rate(self.model.optimizer):g})"
            f", gradient clipping with training.clip_norm (now {c.clip_norm}), "
            + (
                "precision mixed_bfloat16 or float32 instead of mixed_float16, "
                if c.precision == "mixed_float16"
                else ""
            )
            + "and check the input series for NaN or infinite values (normalisation and "
            "windowing outputs). The last good checkpoint is kept."
        )


class StepCheckpoint(keras.callbacks.Callback):
    """Saves a checkpoint every ``every`` optimizer updates (right after the update, when
    the gradient accumulators are empty)."""

    def __init__(self, store, state, every: int) -> None:
        super().__init__()
        self.store, self.state, self.every = store, state, every
        self._last = None

    def on_train_batch_end(self, batch, logs=None):
        updates = self.state.updates
        if self.every and updates and updates % self.every == 0 and updates != self._last:
            self._last = updates
            self.store.save(self.model, self.state, f"step-{updates:08d}")


class OneEpoch(keras.callbacks.Callback):
    """Ends ``fit`` after the epoch it started with: the loop runs one fit per epoch."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


class FreshRecurrentStates(keras.callbacks.Callback):
    """Zero the states of stateful recurrent layers when an epoch starts (every stream
    starts there) and before validation (its own streams), but not when a run resumes in
    the middle of an epoch: the checkpoint restored those states."""

    def __init__(self, state) -> None:
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch, logs=None):
        if self.state.batches_done == 0:
            _reset(self.model)

    def on_test_begin(self, logs=None):
        _reset(self.model)


def _reset(model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


class StopAfterUpdates(keras.callbacks.Callback):
    """Raises after ``updates`` optimizer updates: a stand-in for a killed process (tests)."""

    def __init__(self, updates: int) -> None:
        super().__init__()
        self.updates = updates

    def on_train_batch_end(self, batch, logs=None):
        if updates_done(self.model.optimizer) >= self.updates:
            raise KeyboardInterrupt(f"stopped after {self.updates} updates")
