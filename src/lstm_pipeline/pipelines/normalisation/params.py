"""Validated parameters of the normalisation pipeline (conf/base/parameters_normalisation.yml)."""

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from lstm_pipeline.parameters import StrictModel
from lstm_pipeline.scaling.calendar import CalendarFeature
from lstm_pipeline.scaling.categories import CategoryEncoding, UnseenCategory
from lstm_pipeline.scaling.labelled import SequenceScaler
from lstm_pipeline.scaling.scaler import ScalerMethod


class SplitParams(StrictModel):
    """Chronological split, by fractions of the rows or at two timestamps. Validation is
    optional: ``val: 0`` (fractions) or ``val_start: null`` (timestamps) turns it off, and
    training then monitors its own loss."""

    method: Literal["fractions", "timestamps"] = "fractions"
    train: float = Field(default=0.7, gt=0, lt=1)
    val: float = Field(default=0.15, ge=0, lt=1, description="0: no validation split")
    test: float = Field(default=0.15, gt=0, lt=1)
    val_start: str | None = Field(default=None, description="timestamps; null: no validation")
    test_start: str | None = None
    min_train_rows: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _consistent(self):
        if self.method == "fractions":
            total = self.train + self.val + self.test
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"train + val + test must add up to 1, got {self.train} + {self.val} + "
                    f"{self.test} = {total:g}"
                )
        else:
            self._check_timestamps()
        return self

    def _check_timestamps(self) -> None:
        if self.test_start is None:
            raise ValueError("method 'timestamps' needs 'test_start' (and 'val_start' or null)")
        try:
            test_at = pd.Timestamp(self.test_start)
            val_at = pd.Timestamp(self.val_start) if self.val_start is not None else None
        except ValueError as exc:
            raise ValueError(f"val_start/test_start are not timestamps: {exc}") from exc
        if val_at is not None and not val_at < test_at:
            raise ValueError(f"val_start ({val_at}) must come before test_start ({test_at})")

    @property
    def has_validation(self) -> bool:
        """False where validation was turned off on purpose."""
        return self.val > 0 if self.method == "fractions" else self.val_start is not None


class PCAParams(StrictModel):
    """Optional PCA of some features, fitted on the scaled train split."""

    enabled: bool = False
    columns: list[str] | None = Field(default=None, description="features to reduce")
    n_components: int | None = Field(default=None, gt=0)
    variance: float = Field(default=0.95, gt=0, le=1, description="used when n_components unset")

    @model_validator(mode="after")
    def _columns_when_enabled(self):
        if self.enabled and not self.columns:
            raise ValueError("'columns' must list at least two features to reduce when enabled")
        if self.enabled and len(self.columns) < 2:
            raise ValueError("PCA of fewer than two columns reduces nothing")
        return self


class LabelledParams(StrictModel):
    """Classification: the archive's TRAIN/TEST split is kept; validation comes from TRAIN."""

    validation: float = Field(
        default=0.0, ge=0, lt=1, description="stratified share of TRAIN; 0: none (train loss)"
    )
    test: float = Field(
        default=0.25, gt=0, lt=1, description="stratified test share of a source without split"
    )
    scaler: SequenceScaler = "per_sequence"


class NormalisationParams(StrictModel):
    parameter_key = "normalisation"

    split: SplitParams = Field(default_factory=SplitParams)
    scaler: ScalerMethod = "standard"
    pca: PCAParams = Field(default_factory=PCAParams)
    categorical_encoding: CategoryEncoding = Field(
        default="onehot", description="ingestion.categorical columns: onehot | codes"
    )
    unseen_category: UnseenCategory = Field(
        default="other", description="a category the train split lacks: other | error"
    )
    scale_per_series: bool = Field(
        default=False, description="many series: a scaler per series (its own train rows)"
    )
    calendar_features: list[CalendarFeature] = Field(
        default=[], description="sine/cosine inputs derived from the timestamps"
    )
    series_input: Literal["none", "onehot", "embedding"] = Field(
        default="none",
        description="many series: the series identity as one-hot input columns, or as a "
        "code per window that the model learns an embedding of",
    )
    labelled: LabelledParams = Field(default_factory=LabelledParams)
