"""Validated parameters of the evaluation pipeline (conf/base/parameters_evaluation.yml).

Classification has no setting of its own: its baselines (majority class, 1-NN Euclidean)
have none, and only ``batch_size`` applies to it."""

from pydantic import Field, field_validator

from lstm_pipeline.parameters import StrictModel

MAX_SAMPLE_WINDOWS = 8  # panels of plots/forecast_windows.png, 2.6 inches tall each


class EvaluationParams(StrictModel):
    parameter_key = "evaluation"

    seasonal_period: int = Field(
        default=24, ge=1, description="forecast: steps per season (24 hours)"
    )
    drift_lag: int | None = Field(
        default=None,
        ge=1,
        description="forecast: the drift baseline's line runs through the last input and "
        "the value this many steps before it; null: the first input (input_length - 1)",
    )
    mase_period: int | None = Field(
        default=None,
        ge=1,
        description="forecast: MASE's scale, the train split's in-sample naive MAE at this "
        "lag; null: seasonal_period",
    )
    batch_size: int = Field(
        default=512, ge=1, description="windows (forecast) or cases (classification) at a time"
    )
    sample_windows: int = Field(
        default=4,
        ge=1,
        le=MAX_SAMPLE_WINDOWS,
        description="forecast: test windows plotted, one panel each (at most "
        f"{MAX_SAMPLE_WINDOWS}: more panels are no longer readable)",
    )
    one_step_points: int = Field(
        default=672, ge=1, description="forecast: points of the one-step plot"
    )
    residual_sample: int = Field(
        default=50_000, ge=100, description="forecast: residuals kept for the histogram"
    )
    units: dict[str, str | None] = Field(
        default={"Global_active_power": "kW"},
        description="unit label per target, in the report and on plot axes; a target "
        "without one says 'original units'; null drops a unit inherited from conf/base",
    )

    @field_validator("units")
    @classmethod
    def _drop_null_units(cls, units: dict) -> dict:
        # environments merge softly: null is how one removes conf/base's entry
        return {name: unit for name, unit in units.items() if unit is not None}
