"""Median pruning on the per-epoch validation loss: a Keras callback that reports each
epoch's loss to the trial and stops a hopeless trial (``optuna.TrialPruned``, raised out of
``fit``). Our own rather than optuna-integration's, which only warns when the monitored loss
is missing and then never prunes."""

import optuna

from lstm_pipeline.errors import SettingsError


def report_epoch(trial, value: float, epoch: int) -> None:
    """Report ``value`` at ``epoch`` (from 0) and raise ``optuna.TrialPruned`` when the
    pruner says so. For custom training loops too."""
    trial.report(value, step=epoch)
    if trial.should_prune():
        raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}: loss {value:.5g}")


def monitored_value(logs: dict | None, monitor: str) -> float:
    """``logs[monitor]``; a SettingsError when it is absent (no validation split)."""
    logs = logs or {}
    if monitor not in logs:
        raise SettingsError(
            f"Tuning compares trials on {monitor!r}, but the epoch's logs hold only "
            f"{sorted(logs)}: the validation split is empty. Tuning needs one "
            f"(normalisation.split.val > 0 for forecasting, normalisation.labelled.validation > 0 "
            f"for classification); it never looks at the test split."
        )
    return float(logs[monitor])


def pruning_callback(trial, monitor: str = "val_loss"):
    """A ``keras.callbacks.Callback`` that reports ``monitor`` at each epoch's end."""
    import keras

    class TrialPruning(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            report_epoch(trial, monitored_value(logs, monitor), epoch)

    return TrialPruning()
