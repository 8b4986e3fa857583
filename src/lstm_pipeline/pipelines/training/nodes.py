"""Training nodes: the micro-batch size (planned for ``batch_size: auto``), then the untrained
model + train/val shards -> trained model and its history. Both tasks run the same nodes;
where the work differs the task's function is looked up (:data:`MEASURED_SHAPES`, and the
feed, loss and report inside :mod:`lstm_pipeline.trainer`)."""

import logging

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.sequence import window_model_from
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.trainer.planning import best_batch, plan_batches
from lstm_pipeline.trainer.report import training_report
from lstm_pipeline.windows.reader import ShardSet

logger = logging.getLogger(__name__)


def _forecast_shapes(record: dict) -> dict:
    input_length, n_features = record["shapes"]["inputs"]
    horizon, n_targets = record["shapes"]["targets"]
    return {
        "input_length": input_length,
        "n_features": n_features,
        "horizon": horizon,
        "n_targets": n_targets,
        "side": record.get("side_inputs") or {},
    }


def _classification_shapes(record: dict) -> dict:
    # sequences of any length: measured at the longest case, where memory peaks
    return {
        "input_length": record["max_length"],
        "n_features": record["shapes"]["inputs"][-1],
        "horizon": 1,
        "n_targets": 1,
        "task": "classification",
        "n_classes": len(record["classes"]),
    }


MEASURED_SHAPES = {"forecast": _forecast_shapes, "classification": _classification_shapes}
"""The shapes batch planning measures a task's model at, from the windowing record."""


def plan_training_batch(
    windowing_record: dict, modelling: ModelSpec, training: TrainingConfig, task: Task
):
    """The micro-batch size to train with.

    Returns:
        ``{"batch_size", "planned"}``: ``training.batch_size`` as set, or for ``auto`` the
        largest of ``training.auto_batch_sizes`` whose measured peak memory fits
        ``training.memory_budget_mb`` at the windows' input length (classification: the
        longest case, ``max_length``), with the measurements under ``plan``. A resumed run
        keeps the batch size it started with.
    """
    if training.batch_size != "auto":
        return {"batch_size": training.batch_size, "planned": False}
    shapes = MEASURED_SHAPES[task](windowing_record)
    length = shapes.pop("input_length")
    plan = plan_batches(
        modelling,
        **shapes,
        input_lengths=[length],
        batch_sizes=training.auto_batch_sizes,
        budget_mb=training.memory_budget_mb,
        precision=training.precision,
    )
    chosen = best_batch(plan, length)
    logger.info("batch_size auto: %d fits %s MB", chosen, training.memory_budget_mb)
    return {"batch_size": chosen, "planned": True, "plan": plan}


def train_model(
    untrained_model,
    train_shards: ShardSet,
    val_shards: ShardSet,
    planned_batch_size: dict,
    training: TrainingConfig,
    modelling: ModelSpec,
    seed: int,
    task: Task,
):
    """Train (or resume, or return the already finished run) and report the history.

    After truncated BPTT the stateful per-step model stays in the checkpoint folder; the
    ``model`` output is its stateless twin over windows, for evaluation and inference.
    """
    model, history = train(
        untrained_model,
        train_shards,
        val_shards,
        training,
        seed=seed,
        planned_batch_size=planned_batch_size["batch_size"],
        task=task,
    )
    from lstm_pipeline.models.quantiles import quantile_levels

    if training.tbptt.enabled:  # forecasting only (classification refuses tbptt)
        model = window_model_from(model, modelling, train_shards.manifest.input_length)
    levels = quantile_levels(model)  # the head's own levels: what the loss was
    report = training_report(history, training, seed, train_shards, val_shards, task, levels)
    return model, report
