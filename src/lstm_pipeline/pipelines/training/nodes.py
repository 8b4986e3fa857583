"""Training node: untrained model + train/val shards -> trained model and its history."""

import json
import logging
from pathlib import Path

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.sequence import window_model_from
from lstm_pipeline.trainer.checkpoints import fingerprint
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.trainer.planning import best_batch, plan_batches
from lstm_pipeline.windows.reader import ShardSet

logger = logging.getLogger(__name__)


def train_model(
    untrained_model,
    train_shards: ShardSet,
    val_shards: ShardSet,
    training: TrainingConfig,
    modelling: ModelSpec,
    seed: int,
):
    """Train (or resume, or return the already finished run) and report the history.

    After truncated BPTT the stateful per-step model stays in the checkpoint folder; the
    ``model`` output is its stateless twin over windows, for evaluation and inference.
    """
    if training.batch_size == "auto":
        training = training.model_copy(
            update={"batch_size": _planned_batch_size(train_shards, modelling, training)}
        )
    model, history = train(untrained_model, train_shards, val_shards, training, seed=seed)
    if training.tbptt.enabled:
        input_length = train_shards.manifest.input_length
        model = window_model_from(model, modelling, input_length)
        logger.info(
            "Saved the stateful model's weights as a window model (%d steps).", input_length
        )
    report = {
        "history": history,
        "settings": training.model_dump(),
        "seed": seed,
        "effective_batch_size": (
            training.tbptt.streams if training.tbptt.enabled else training.batch_size
        )
        * training.accumulation_steps,
        "train_windows": train_shards.windows_total,
        "val_windows": val_shards.windows_total,
    }
    return model, report


def _planned_batch_size(train_shards: ShardSet, modelling: ModelSpec, training: TrainingConfig):
    """Measure (once; the choice is kept beside the checkpoints so a resumed run keeps it)."""
    m = train_shards.manifest
    key = fingerprint(
        modelling.model_dump(),
        m.shapes,
        training.precision,
        training.memory_budget_mb,
        training.auto_batch_sizes,
    )
    cache = Path(training.checkpoint_dir) / "auto_batch_size.json"
    if cache.is_file() and json.loads(cache.read_text()).get("key") == key:
        chosen = json.loads(cache.read_text())["batch_size"]
        logger.info("batch_size auto: %d (planned earlier, %s)", chosen, cache)
        return chosen
    plan = plan_batches(
        modelling,
        n_features=m.shapes["inputs"][1],
        horizon=m.horizon,
        n_targets=len(m.target_columns),
        input_lengths=[m.input_length],
        batch_sizes=training.auto_batch_sizes,
        budget_mb=training.memory_budget_mb,
        precision=training.precision,
    )
    chosen = best_batch(plan, m.input_length)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "batch_size": chosen, "plan": plan}, indent=2))
    logger.info(
        "batch_size auto: %d, the largest of %s within %s MB at input_length %d",
        chosen,
        training.auto_batch_sizes,
        training.memory_budget_mb,
        m.input_length,
    )
    return chosen
