"""What each task trains on: its loss and the metrics logged per epoch (``model.compile``).

Forecasting: ``training.loss`` (mse, mae or huber), no further metric. Classification:
sparse categorical cross-entropy on class codes (one-hot rows are converted by the feed),
accuracy logged per epoch; ``training.loss`` does not apply.
"""

from lstm_pipeline.trainer.config import TrainingConfig


def _forecast(config: TrainingConfig) -> dict:
    import keras

    losses = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}
    return {"loss": losses[config.loss]}  # no metrics argument: the model tracks the loss only


def _classification(config: TrainingConfig) -> dict:
    import keras

    return {
        "loss": keras.losses.SparseCategoricalCrossentropy(),
        "metrics": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    }


OBJECTIVES = {"forecast": _forecast, "classification": _classification}
"""The ``model.compile`` arguments of each task: ``config -> {"loss", ["metrics"]}``."""


def compile_arguments(task: str, config: TrainingConfig) -> dict:
    """The loss (and metrics) ``model.compile`` gets for ``task``."""
    return OBJECTIVES[task](config)


def loss_name(task: str, config: TrainingConfig) -> str:
    """The name of the loss ``task`` trains on, for reports."""
    return config.loss if task == "forecast" else "sparse_categorical_crossentropy"
