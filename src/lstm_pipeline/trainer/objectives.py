"""What each task trains on: its loss and the metrics logged per epoch (``model.compile``).

Forecasting: ``training.loss`` (mse, mae or huber), no further metric; a model with a
quantile head (``modelling.quantiles``) trains on the pinball loss over its levels instead
(the preflight refuses mae or huber beside quantiles). Classification: sparse categorical
cross-entropy on class codes (one-hot rows are converted by the feed), accuracy logged per
epoch; ``training.loss`` does not apply.
"""

from lstm_pipeline.trainer.config import TrainingConfig


def _forecast(config: TrainingConfig, quantiles: list[float] | None) -> dict:
    import keras

    if quantiles:
        from lstm_pipeline.models.quantiles import PinballLoss

        return {"loss": PinballLoss(quantiles)}
    losses = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}
    return {"loss": losses[config.loss]}  # no metrics argument: the model tracks the loss only


def _classification(config: TrainingConfig, quantiles: list[float] | None) -> dict:
    import keras

    return {
        "loss": keras.losses.SparseCategoricalCrossentropy(),
        "metrics": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    }


OBJECTIVES = {"forecast": _forecast, "classification": _classification}
"""The ``model.compile`` arguments of each task: ``(config, quantile levels) -> {"loss",
["metrics"]}``."""


def compile_arguments(task: str, config: TrainingConfig, quantiles=None) -> dict:
    """The loss (and metrics) ``model.compile`` gets for ``task``; ``quantiles``: the
    levels of the model's quantile head (None for a point forecaster)."""
    return OBJECTIVES[task](config, quantiles)


def loss_name(task: str, config: TrainingConfig, quantiles=None) -> str:
    """The name of the loss ``task`` trains on, for reports."""
    if task != "forecast":
        return "sparse_categorical_crossentropy"
    return "pinball" if quantiles else config.loss
