"""Validated parameters of the tuning pipeline (conf/base/parameters_tuning.yml)."""

from typing import Any

from pydantic import Field, model_validator

from lstm_pipeline.parameters import StrictModel
from lstm_pipeline.tuning.space import SearchSpace


class TuningParams(StrictModel):
    """``tuning`` parameters: the search space, how many trials for how long, the sampler
    and the pruner, and where the study lives."""

    parameter_key = "tuning"

    study_name: str = Field(default="lstm", min_length=1, description="a new name: a new study")
    n_trials: int = Field(default=20, ge=1, description="trials in all, over every run")
    timeout: float | None = Field(default=None, gt=0, description="seconds per run; null: none")
    epochs: int = Field(default=4, ge=1, description="epochs per trial (training.epochs aside)")
    folder: str = Field(default="data/06_models/tuning", description="study.db, trials, windows")
    startup_trials: int = Field(default=5, ge=0, description="random trials before TPE")
    pruner_startup_trials: int = Field(default=3, ge=0, description="trials before pruning")
    pruner_warmup_epochs: int = Field(default=1, ge=0, description="epochs before pruning")
    enqueue: list[dict[str, Any]] = Field(
        default=[], description="points tried first, e.g. the current settings"
    )
    space: SearchSpace = SearchSpace()

    @model_validator(mode="after")
    def _something_to_search(self):
        entries = self.space.entries()
        if not entries:
            raise ValueError(
                "space is empty: give at least one of batch_size, input_length, units, "
                "layers, cell, learning_rate, dropout (a range or choices)"
            )
        for number, point in enumerate(self.enqueue):
            unknown = sorted(set(point) - set(entries))
            if unknown:
                raise ValueError(
                    f"enqueue[{number}] names {unknown}, which are not space entries "
                    f"({sorted(entries)})"
                )
        return self
