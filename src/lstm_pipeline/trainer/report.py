"""What a finished training run reports (``training_history.json``)."""

from lstm_pipeline.trainer.class_weights import weights_per_class
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.objectives import loss_name


def training_report(
    history: dict,
    config: TrainingConfig,
    seed: int,
    train_set,
    val_set,
    task: str = "forecast",
    quantiles: list[float] | None = None,
) -> dict:
    """The history, the settings with the batch size the run trained with (the planned one
    for ``batch_size: auto``) and the loss it trained on (``pinball`` for a model with a
    quantile head of levels ``quantiles``, then listed beside it), the seed, the effective
    batch (micro-batch x accumulation steps), and what the task adds (:data:`DETAILS`): the
    number of train and validation windows and the monitored loss (forecasting), or cases,
    classes, class weights and the monitored loss (classification)."""
    batch_size = history["batch_size"][-1]  # the run's own, kept when it resumed
    settings = {**config.model_dump(), "loss": loss_name(task, config, quantiles)}
    if quantiles:
        settings["quantiles"] = list(quantiles)
    if settings["batch_size"] == "auto":
        settings["batch_size"] = batch_size
    return {
        "history": history,
        "settings": settings,
        "seed": seed,
        "effective_batch_size": batch_size * config.accumulation_steps,
        **DETAILS[task](train_set, val_set, config),
    }


def _forecast_details(train_set, val_set, config: TrainingConfig) -> dict:
    from lstm_pipeline.trainer.feeds import monitor_for

    return {
        "train_windows": train_set.windows_total,
        "val_windows": val_set.windows_total,
        "monitor": monitor_for(val_set.windows_total),
    }


def _classification_details(train_set, val_set, config: TrainingConfig) -> dict:
    from lstm_pipeline.trainer.feeds import monitor_for

    classes = list(train_set.manifest.classes)
    labels = train_set.case_table()["label"].to_numpy() if config.class_weight else None
    weights = weights_per_class(config.class_weight, labels, classes)
    named = None if weights is None else dict(zip(classes, weights.tolist(), strict=True))
    val_cases = val_set.manifest.cases_total
    return {
        "task": "classification",
        "train_cases": train_set.manifest.cases_total,
        "val_cases": val_cases,
        "classes": classes,
        "class_weights": named,
        "monitor": monitor_for(val_cases),
    }


DETAILS = {"forecast": _forecast_details, "classification": _classification_details}
"""What each task adds to the report: ``(train_set, val_set, config) -> dict``."""
