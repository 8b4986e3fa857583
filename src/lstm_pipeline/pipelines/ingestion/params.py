"""Validated parameters of the ingestion pipeline (conf/base/parameters_ingestion.yml).

Kedro turns the ``ingestion`` dictionary into :class:`IngestionParams` before any node runs,
so a wrong type or an impossible combination stops the run with the parameter's name.
"""

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from lstm_pipeline.parameters import StrictModel

Aggregation = Literal["mean", "sum", "last", "first", "min", "max", "median"]


def _check_duration(value: str | None, name: str) -> str | None:
    if value is None:
        return value
    try:
        duration = pd.Timedelta(value)
    except ValueError as exc:
        raise ValueError(
            f"{name} must be a duration such as '60min' or '1D', got {value!r}"
        ) from exc
    if duration <= pd.Timedelta(0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return value


class TimestampParams(StrictModel):
    """One timestamp column, or a date column and a time column joined with a space."""

    column: str | None = None
    date_column: str | None = None
    time_column: str | None = None
    format: str | None = Field(
        default=None, description="strptime format, e.g. '%d/%m/%Y %H:%M:%S'; None infers it"
    )

    @model_validator(mode="after")
    def _one_source(self):
        split = self.date_column is not None or self.time_column is not None
        if self.column is not None and split:
            raise ValueError("give either 'column' or 'date_column' + 'time_column', not both")
        if self.column is None and not (self.date_column and self.time_column):
            raise ValueError("give 'column', or both 'date_column' and 'time_column'")
        return self


class MissingParams(StrictModel):
    policy: Literal["interpolate", "ffill", "seasonal", "drop", "error"] = "interpolate"
    max_gap: str = Field(default="60min", description="longest gap that is filled")
    period: str | None = Field(default=None, description="season for policy 'seasonal', e.g. 1D")
    long_gaps: Literal["keep", "drop", "error"] = "keep"

    @field_validator("max_gap")
    @classmethod
    def _gap(cls, value):
        return _check_duration(value, "ingestion.missing.max_gap")

    @field_validator("period")
    @classmethod
    def _period(cls, value):
        return _check_duration(value, "ingestion.missing.period")

    @model_validator(mode="after")
    def _period_for_seasonal(self):
        if self.policy == "seasonal" and self.period is None:
            raise ValueError("policy 'seasonal' needs 'period', e.g. '1D'")
        return self


class ResampleParams(StrictModel):
    frequency: str
    aggregation: Aggregation = "mean"
    per_column: dict[str, Aggregation] = Field(default_factory=dict)

    @field_validator("frequency")
    @classmethod
    def _freq(cls, value):
        return _check_duration(value, "ingestion.resample.frequency")


class IngestionParams(StrictModel):
    parameter_key = "ingestion"

    timestamp: TimestampParams
    features: list[str] | None = Field(
        default=None, description="feature columns; None takes every numeric column"
    )
    targets: list[str] = Field(min_length=1)
    missing_markers: list[str] = Field(default_factory=lambda: ["", "NA", "?"])
    missing: MissingParams = Field(default_factory=MissingParams)
    duplicates: Literal["first", "last", "mean", "error"] = "error"
    frequency: str | None = Field(default=None, description="native spacing; None infers it")
    resample: ResampleParams | None = None
    chunk_rows: int = Field(default=250_000, gt=0)
    csv_options: dict = Field(default_factory=dict, description="extra pandas.read_csv args")

    @field_validator("frequency")
    @classmethod
    def _freq(cls, value):
        return _check_duration(value, "ingestion.frequency")

    @model_validator(mode="after")
    def _targets_are_stored(self):
        if self.features is not None and not self.features:
            raise ValueError("'features' is an empty list; leave it out to take every numeric one")
        return self
