"""Validated parameters of the planning pipeline (conf/base/parameters_planning.yml)."""

from pydantic import Field

from lstm_pipeline.parameters import StrictModel


class PlanningParams(StrictModel):
    """The grid the planning pipeline measures. Defaults equal conf/base."""

    parameter_key = "planning"

    input_lengths: list[int] = Field(default=[168, 720, 1440], min_length=1)
    batch_sizes: list[int] = Field(default=[32, 64, 128, 256, 512], min_length=1)
    memory_budget_mb: float = Field(default=4000, gt=0)
    steps: int = Field(default=3, ge=1, description="timed training steps per point")
