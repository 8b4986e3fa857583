"""Validated parameters of the evaluation pipeline (conf/base/parameters_evaluation.yml).

Classification has no setting of its own: its baselines (majority class, 1-NN Euclidean)
have none, and only ``batch_size`` applies to it."""

from pydantic import Field

from lstm_pipeline.parameters import StrictModel


class EvaluationParams(StrictModel):
    parameter_key = "evaluation"

    seasonal_period: int = Field(
        default=24, ge=1, description="forecast: steps per season (24 hours)"
    )
    batch_size: int = Field(
        default=512, ge=1, description="windows (forecast) or cases (classification) at a time"
    )
    sample_windows: int = Field(default=4, ge=1, description="forecast: test windows plotted")
    one_step_points: int = Field(
        default=672, ge=1, description="forecast: points of the one-step plot"
    )
    residual_sample: int = Field(
        default=50_000, ge=100, description="forecast: residuals kept for the histogram"
    )
    units: dict[str, str] = Field(
        default={"Global_active_power": "kW"},
        description="unit label per target, in the report and on plot axes; a target "
        "without one says 'original units'",
    )
