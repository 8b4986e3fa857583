"""Validated parameters of the study pipeline (conf/base/parameters_study.yml)."""

from typing import Any

from pydantic import Field, field_validator, model_validator

from lstm_pipeline.parameters import StrictModel


def _distinct(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError(f"{values} repeats a value: give each once")
    return values


class _Budget(StrictModel):
    """An epoch's budget: ``samples_per_epoch`` (the same data for every batch size) or
    ``steps_per_epoch`` (the same number of updates), not both."""

    samples_per_epoch: int | None = None
    steps_per_epoch: int | None = Field(
        default=None, ge=1, description="or batches an epoch (equal updates); null: samples"
    )

    @model_validator(mode="after")
    def _one_budget(self):
        if self.samples_per_epoch is not None and self.steps_per_epoch is not None:
            raise ValueError(
                f"samples_per_epoch = {self.samples_per_epoch} and steps_per_epoch = "
                f"{self.steps_per_epoch}: give one of them (the other null)"
            )
        return self


class ForecastGrid(_Budget):
    """The forecasting grid: input lengths of the windows (the windowing stage's settings
    otherwise) and batch sizes."""

    input_lengths: list[int] = Field(default=[24, 96, 336], min_length=1)
    batch_sizes: list[int] = Field(default=[32, 128, 512], min_length=1)
    epochs: int = Field(default=3, ge=1, description="at most; early stopping may end sooner")
    samples_per_epoch: int | None = Field(
        default=2048, ge=1, description="train windows an epoch, every batch size; null: all"
    )

    _lengths = field_validator("input_lengths")(lambda v: _distinct(_at_least(v, 2)))
    _batches = field_validator("batch_sizes")(lambda v: _distinct(_at_least(v, 1)))


class ClassificationGrid(_Budget):
    """The classification grid: each case resampled to ``factor`` times its length, and
    batch sizes; validation drawn from TRAIN when the stored split has none."""

    length_factors: list[float] = Field(default=[0.25, 1.0, 4.0], min_length=1)
    batch_sizes: list[int] = Field(default=[4, 8, 16, 32], min_length=1)
    epochs: int = Field(default=20, ge=1, description="at most; early stopping may end sooner")
    samples_per_epoch: int | None = Field(default=None, ge=1, description="null: every case")
    validation: float = Field(
        default=0.3, ge=0.0, lt=1.0, description="stratified share of TRAIN when val is empty"
    )

    _factors = field_validator("length_factors")(lambda v: _distinct(_positive(v)))
    _batches = field_validator("batch_sizes")(lambda v: _distinct(_at_least(v, 1)))


def _at_least(values: list[int], low: int) -> list[int]:
    if any(v < low for v in values):
        raise ValueError(f"{values}: every value must be at least {low}")
    return values


def _positive(values: list[float]) -> list[float]:
    if any(v <= 0 for v in values):
        raise ValueError(f"{values}: every factor must be greater than 0")
    return values


class StudyParams(StrictModel):
    """``study`` parameters: the grid of each task, the seeds, what the studied model and
    its training change from ``modelling`` and ``training``, and where the study works."""

    parameter_key = "study"

    seeds: list[int] = Field(default=[1, 2, 3], min_length=1)
    forecast: ForecastGrid = ForecastGrid()
    classification: ClassificationGrid = ClassificationGrid()
    modelling: dict[str, Any] = Field(
        default={
            "architecture": "lstm",
            "recurrent": {"cell": "lstm", "units": [32], "bidirectional": False},
        },
        description="changes to params:modelling (the studied model)",
    )
    training: dict[str, Any] = Field(
        default={
            "schedule": "constant",
            "learning_rate": 0.001,
            "early_stopping_patience": 3,
            "class_weight": None,
            "accumulation_steps": 1,
            "precision": "float32",
        },
        description="changes to params:training (batch size, epochs: the grid's)",
    )
    folder: str = Field(default="data/06_models/study", description="shards per length, points")
    timeout: float = Field(default=600, gt=0, description="seconds a point may take")

    _seeds = field_validator("seeds")(_distinct)

    def grid(self, task: str) -> ForecastGrid | ClassificationGrid:
        """The grid of ``task``."""
        return self.forecast if task == "forecast" else self.classification

    def lengths(self, task: str) -> list:
        """The grid's lengths: input lengths (forecast) or length factors (classification)."""
        grid = self.grid(task)
        return grid.input_lengths if task == "forecast" else grid.length_factors


def studied_settings(study: StudyParams, modelling, training):
    """The studied model and its training: ``params:modelling`` and ``params:training``
    with ``study.modelling`` and ``study.training`` merged in, validated (a
    :class:`~lstm_pipeline.errors.SettingsError` names the parameter at fault)."""
    from lstm_pipeline.models.spec import ModelSpec
    from lstm_pipeline.trainer.config import TrainingConfig
    from lstm_pipeline.tuning.space import merged

    return (
        ModelSpec.model_validate(merged(modelling.model_dump(), study.modelling)),
        TrainingConfig.model_validate(merged(training.model_dump(), study.training)),
    )
