"""Training node: untrained model + train/val shards -> trained model and its history."""

import logging

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.sequence import window_model_from
from lstm_pipeline.training.config import TrainingConfig
from lstm_pipeline.training.loop import train
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
