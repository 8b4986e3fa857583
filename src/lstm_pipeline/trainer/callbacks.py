"""Keras callbacks of the training loop: loss accounting, divergence stop, step checkpoints;
the TensorBoard folder of each run, and the listeners told of a run's progress."""

import time
from datetime import datetime
from pathlib import Path
from typing import Protocol

import keras

from lstm_pipeline.models.sequence import reset_recurrent_states
from lstm_pipeline.trainer.optimizers import current_learning_rate, updates_done


def loss_tracker(model):
    """Keras's running mean of the training loss (``total`` and ``count`` variables)."""
    return next(metric for metric in model.metrics if metric.name == "loss")


def compiled_metrics(model) -> list:
    """The metrics given to ``compile`` (accuracy for classification; none for forecasting)."""
    return [metric for metric in model.metrics if metric.name != "loss"]


def read_metric_states(model) -> list:
    """The compiled metrics' variables (totals and counts), as JSON-ready numbers."""
    # convert_to_numpy: also for the mirrored variables of a model under a strategy
    return [
        keras.ops.convert_to_numpy(v).tolist() for m in compiled_metrics(model) for v in m.variables
    ]


def write_metric_states(model, values: list) -> None:
    """Put back what :func:`read_metric_states` read (nothing when ``values`` is empty)."""
    if not values:
        return
    variables = [v for m in compiled_metrics(model) for v in m.variables]
    if not variables:  # a loaded model's metrics make their variables when they first count
        build_class_metrics(model)
        variables = [v for m in compiled_metrics(model) for v in m.variables]
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def build_class_metrics(model) -> None:
    """Make the variables of a classifier's compiled metrics (accuracy) by counting one
    made-up case, then zero them."""
    import numpy as np

    classes = model.output_shape[-1]
    uniform = np.full((1, classes), 1 / classes, dtype="float32")
    model.compute_metrics(None, np.zeros((1,), dtype="int32"), uniform)
    for metric in compiled_metrics(model):
        metric.reset_state()


def metric_results(model, values: list) -> dict:
    """The compiled metrics' results from saved variable values: ``{"accuracy": 0.9}``."""
    if not values:
        return {}
    write_metric_states(model, values)
    results = {}
    for metric in compiled_metrics(model):
        result = metric.result()
        results.update(result if isinstance(result, dict) else {metric.name: result})
    return {name: float(value) for name, value in results.items()}


class EpochProgress(keras.callbacks.Callback):
    """Carries Keras's epoch loss tracker and compiled metrics through the trainer state, so
    a resumed epoch reports the same mean loss and accuracy (to the bit) as an uninterrupted
    one; counts micro-batches and updates; times the epoch's training; stops a diverging run
    before that micro-batch's checkpoint is written."""

    def __init__(self, state, divergence) -> None:
        super().__init__()
        self.state = state
        self.divergence = divergence  # a DivergenceCheck
        self.seconds = 0.0
        self.samples = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        # fit has just zeroed the tracker: go on from the totals of the checkpoint
        tracker = loss_tracker(self.model)
        tracker.total.assign(self.state.loss_total)
        tracker.count.assign(self.state.loss_samples)
        write_metric_states(self.model, self.state.metric_states)
        self._started, self._samples_before = time.perf_counter(), self.state.loss_samples
        self.seconds, self.samples = 0.0, 0.0

    def on_train_batch_end(self, batch, logs=None):
        state, tracker = self.state, loss_tracker(self.model)
        total, samples = float(tracker.total.numpy()), float(tracker.count.numpy())
        batch_loss = (total - state.loss_total) / max(samples - state.loss_samples, 1.0)
        learning_rate = current_learning_rate(self.model.optimizer)
        self.divergence.check("training loss", batch_loss, state, learning_rate)
        if state.first_batch_loss is None:
            state.first_batch_loss = batch_loss
        state.loss_total, state.loss_samples = total, samples
        state.metric_states = read_metric_states(self.model)
        state.batches_done += 1
        state.updates = updates_done(self.model.optimizer)
        self.samples = samples - self._samples_before  # the tracker counts cases, not batches
        self.seconds = time.perf_counter() - self._started

    def samples_per_s(self) -> float | None:
        """Cases trained per second in the epoch's training (validation not included) by
        this process; None when it trained on nothing."""
        if not self.seconds:
            return None
        return self.samples / self.seconds


class EpochEnd(keras.callbacks.Callback):
    """Calls ``closing(logs)`` as each epoch ends (validation included); ``fit`` stops when
    it returns True."""

    def __init__(self, closing) -> None:
        super().__init__()
        self.closing = closing

    def on_epoch_end(self, epoch, logs=None):
        if self.closing(logs or {}):
            self.model.stop_training = True


class StepCheckpoint(keras.callbacks.Callback):
    """Saves a checkpoint every ``every`` optimizer updates, right after the micro-batch that
    applied the update (when the gradient accumulators are empty), and only then: not on the
    other micro-batches of the next update, nor again for the update a run resumed from."""

    def __init__(self, store, state, every: int) -> None:
        super().__init__()
        self.store, self.state, self.every = store, state, every
        self._updates_seen = state.updates

    def on_train_batch_end(self, batch, logs=None):
        updates = self.state.updates
        if updates == self._updates_seen:
            return  # a micro-batch that only accumulated gradients
        self._updates_seen = updates
        if self.every and updates % self.every == 0:
            self.store.save(self.model, self.state, f"step-{updates:08d}")


class OneEpoch(keras.callbacks.Callback):
    """Ends ``fit`` after the epoch it started with (the rest of a resumed epoch)."""

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
            reset_recurrent_states(self.model)

    def on_test_begin(self, logs=None):
        reset_recurrent_states(self.model)


class TrainingListener(Protocol):
    """Told of a run's progress (MLflow tracking listens) without the loop knowing who."""

    def training_started(self, state, tensorboard_dir: str | None) -> None:
        """A run starts or resumes (not one returned finished); ``state.fingerprint`` names it."""

    def epoch_ended(self, state, record: dict) -> None:
        """An epoch's line of the history (``record``: epoch, loss, val_loss, ...) is written."""


_listeners: list[TrainingListener] = []


def add_training_listener(listener: TrainingListener) -> None:
    _listeners.append(listener)


def remove_training_listener(listener: TrainingListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def announce(event: str, *args) -> None:
    """Call ``event`` (a :class:`TrainingListener` method) on every listener."""
    for listener in list(_listeners):
        getattr(listener, event)(*args)


def tensorboard_run_folder(root: str | None, fingerprint: str, fresh: bool) -> str | None:
    """The TensorBoard folder of one training run under ``root``: a new
    ``<started>-<fingerprint>`` folder for a run that starts afresh (a retrain too, whose
    fingerprint is the same), the newest folder of that fingerprint for a resumed one, so
    TensorBoard shows each run apart and a resumed run as one. None: no TensorBoard."""
    if not root:
        return None
    suffix = f"-{fingerprint[:8]}"
    earlier = sorted(p.name for p in Path(root).glob(f"*{suffix}") if p.is_dir())
    if earlier and not fresh:
        return str(Path(root) / earlier[-1])
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name, count = f"{stamp}{suffix}", 1
    while (Path(root) / name).exists():  # a second run started in the same second
        count += 1
        name = f"{stamp}_{count}{suffix}"
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)
