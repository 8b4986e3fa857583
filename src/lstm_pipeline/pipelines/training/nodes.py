"""Training node: untrained model + train/val shards -> trained model and its history."""

from lstm_pipeline.training.config import TrainingConfig
from lstm_pipeline.training.loop import train
from lstm_pipeline.windows.reader import ShardSet


def train_model(
    untrained_model,
    train_shards: ShardSet,
    val_shards: ShardSet,
    training: TrainingConfig,
    seed: int,
):
    """Train (or resume, or return the already finished run) and report the history."""
    model, history = train(untrained_model, train_shards, val_shards, training, seed=seed)
    report = {
        "history": history,
        "settings": training.model_dump(),
        "seed": seed,
        "effective_batch_size": training.batch_size * training.accumulation_steps,
        "train_windows": train_shards.windows_total,
        "val_windows": val_shards.windows_total,
    }
    return model, report
