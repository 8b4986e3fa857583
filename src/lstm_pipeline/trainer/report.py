"""What a finished training run reports (``training_history.json``)."""

from lstm_pipeline.trainer.config import TrainingConfig


def training_report(
    history: dict, config: TrainingConfig, seed: int, train_windows: int, val_windows: int
) -> dict:
    """The history, the settings with the batch size the run trained with (the planned one
    for ``batch_size: auto``), the seed, the effective batch (micro-batch x accumulation
    steps) and the number of train and validation windows."""
    batch_size = history["batch_size"][-1]  # the run's own, kept when it resumed
    settings = config.model_dump()
    if settings["batch_size"] == "auto":
        settings["batch_size"] = batch_size
    return {
        "history": history,
        "settings": settings,
        "seed": seed,
        "effective_batch_size": batch_size * config.accumulation_steps,
        "train_windows": train_windows,
        "val_windows": val_windows,
    }
