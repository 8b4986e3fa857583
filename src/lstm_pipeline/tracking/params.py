"""Tracking settings (conf/base/parameters_tracking.yml), validated."""

from pydantic import Field

from lstm_pipeline.parameters import StrictModel


class TrackingParams(StrictModel):
    """Whether and where runs are tracked. Defaults equal conf/base."""

    parameter_key = "tracking"

    enabled: bool = Field(default=True, description="false: nothing is tracked")
    tracking_uri: str | None = Field(
        default=None,
        min_length=1,
        description="MLflow tracking URI; None: $MLFLOW_TRACKING_URI when set, else "
        "sqlite:///<project>/mlruns/mlflow.db",
    )
    experiment: str = Field(default="lstm-pipeline", min_length=1)
    artifacts: list[str] = Field(
        default=[
            "metrics",
            "report",
            "evaluation_plots",
            "training_history",
            "backtest_metrics",
            "backtest_report",
        ],
        description="catalog entries whose files are logged as artifacts when saved",
    )
    log_model: bool = Field(default=True, description="log the `model` entry's .keras file")
