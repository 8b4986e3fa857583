"""One trial: the trial's settings suggested, the model built for its shards and trained
through :func:`lstm_pipeline.trainer.loop.train` with the pruning callback; its value is
the best validation loss of its epochs (what early stopping keeps).

The caller supplies how a model is built (``build``: the modelling stage's function) and
where a length's shards come from (:class:`~lstm_pipeline.tuning.windows.ShardCache`), so
this module knows nothing of Kedro.
"""

import logging
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.tuning.space import SearchSpace, merged, parameter_updates, suggest
from lstm_pipeline.tuning.study import RESUMES
from lstm_pipeline.tuning.windows import ShardCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrialSetup:
    """What every trial of a study shares."""

    space: SearchSpace
    modelling: ModelSpec
    training: TrainingConfig  # epochs already the tuning's
    task: str
    seed: int
    folder: Path  # per-trial checkpoints under <folder>/trial_<n>
    shards: ShardCache
    record: dict  # the windowing record of the stored shards
    build: Callable  # (record, ModelSpec, TrainingConfig, task) -> (model, summary)


def trial_settings(setup: TrialSetup, updates: dict, trial_folder: Path):
    """The trial's ModelSpec and TrainingConfig: the project's, with the trial's values,
    validated again (a combination may break a rule, e.g. min_learning_rate)."""
    modelling = ModelSpec.model_validate(
        merged(setup.modelling.model_dump(), updates.get("modelling", {}))
    )
    training = setup.training.model_dump()
    training = merged(training, updates.get("training", {}))
    # checkpoints of its own (a retried trial resumes there), once per epoch, no TensorBoard
    training.update(
        checkpoint_dir=str(trial_folder / "checkpoints"),
        tensorboard_dir=None,
        checkpoint_every_steps=0,
    )
    return modelling, TrainingConfig.model_validate(training)


def trial_record(record: dict, train_set) -> dict:
    """The windowing record for a trial's train shards: the stored one, with the shapes of
    shards windowed at another input length."""
    manifest = train_set.manifest
    if not hasattr(manifest, "input_length") or manifest.input_length == record.get("input_length"):
        return record
    shapes = {"shapes": manifest.shapes, "side_inputs": manifest.side_inputs}
    return {**record, "input_length": manifest.input_length, **shapes}


def trial_folder(setup: TrialSetup, trial) -> Path:
    """The trial's own folder (checkpoints); a retry's is the interrupted trial's, so it
    resumes from that trial's last checkpoint."""
    number = trial.user_attrs.get(RESUMES, trial.number)
    return setup.folder / f"trial_{number:04d}"


def run_trial(trial, setup: TrialSetup) -> float:
    """Train the trial's model and return its best validation loss.

    Raises ``optuna.TrialPruned`` when the pruner stops it, and the trainer's errors
    (TrainingDivergedError: the study records the trial FAILED and goes on).
    """
    import keras

    from lstm_pipeline.trainer.loop import train
    from lstm_pipeline.tuning.pruning import pruning_callback

    updates = parameter_updates(suggest(trial, setup.space), setup.modelling)
    modelling, training = trial_settings(setup, updates, trial_folder(setup, trial))
    length = updates.get("windowing", {}).get("input_length")
    shards = setup.shards.shards(length)
    keras.utils.set_random_seed(setup.seed)  # the same initial weights for the same settings
    model, _ = setup.build(
        trial_record(setup.record, shards["train"]), modelling, training, setup.task
    )
    _, history = train(
        model,
        shards["train"],
        shards["val"],
        training,
        seed=setup.seed,
        extra_callbacks=[pruning_callback(trial)],
        verbose=0,
        task=setup.task,
    )
    return best_validation(trial, history)


def best_validation(trial, history: dict) -> float:
    """The lowest val_loss of the history (kept as the trial's value), with the epochs run
    and, for classification, the best validation accuracy as user attributes."""
    losses = [v for v in history.get("val_loss", []) if not math.isnan(v)]
    trial.set_user_attr("epochs", len(history.get("val_loss", [])))
    if history.get("val_accuracy"):
        trial.set_user_attr("best_val_accuracy", max(history["val_accuracy"]))
    return min(losses) if losses else math.inf


def log_trial(study, trial) -> None:
    """One line per finished trial (an Optuna ``optimize`` callback)."""
    seconds = trial.duration.total_seconds() if trial.duration else math.nan
    value = "-" if trial.value is None else f"{trial.value:.5g}"
    kind = "value" if trial.state.name == "COMPLETE" else "last value"  # pruned: its last epoch
    logger.info(
        "trial %d %s: %s %s, params %s, %.1f s",
        *(trial.number, trial.state.name, kind, value, trial.params, seconds),
    )


def objective(setup: TrialSetup) -> Callable:
    """``study.optimize``'s objective over ``setup``."""

    def run(trial) -> float:
        started = time.perf_counter()
        try:
            return run_trial(trial, setup)
        finally:  # not reached when killed: a retry resumes from the checkpoints left
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 2))
            shutil.rmtree(trial_folder(setup, trial), ignore_errors=True)

    return run


def optimise(study, setup: TrialSetup, n_trials: int, timeout: float | None) -> dict:
    """Run the study until it holds ``n_trials`` trials in all (over every run of it) or
    ``timeout`` seconds have passed; trials a killed run left RUNNING are retried first.

    Returns:
        What this run did: ``retried`` (interrupted trial numbers queued again) and ``ran``
        (trials finished by this run).
    """
    import optuna

    from lstm_pipeline.errors import TrainingDivergedError
    from lstm_pipeline.tuning.study import counted_trials, recover_interrupted, remaining_trials

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # log_trial says it once
    retried = recover_interrupted(study)
    before = counted_trials(study)
    remaining = remaining_trials(study, n_trials)
    logger.info(
        "study '%s': %d of %d trials to run%s",
        *(study.study_name, remaining, n_trials, f", retrying {retried}" if retried else ""),
    )
    if remaining:
        study.optimize(
            objective(setup),
            n_trials=remaining,
            timeout=timeout,
            catch=(TrainingDivergedError,),  # a diverged trial FAILs; the search goes on
            callbacks=[log_trial],
            gc_after_trial=True,
        )
    return {"retried": retried, "ran": counted_trials(study) - before}
