"""Validated parameters of the windowing pipeline (conf/base/parameters_windowing.yml)."""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from lstm_pipeline.parameters import StrictModel
from lstm_pipeline.windows.choices import (
    TFRECORD_COMPRESSION,
    Compression,
    Format,
    LayoutSetting,
)

Stride = Annotated[int, Field(ge=1)]


class SplitStrides(StrictModel):
    """Steps between consecutive windows, split by split (one left out: 1), e.g. train on
    every window and test on non-overlapping weeks: ``{train: 1, test: 168}``."""

    train: Stride = 1
    val: Stride = 1
    test: Stride = 1


class WindowingParams(StrictModel):
    """``windowing`` parameters; defaults equal conf/base, the targets are required."""

    parameter_key = "windowing"

    input_length: int = Field(default=168, ge=1, description="timesteps fed to the model")
    horizon: int = Field(default=24, ge=1, description="steps predicted")
    offset: int = Field(default=0, ge=0, description="gap from last input to first target")
    stride: SplitStrides = Field(
        default=SplitStrides(),
        description="steps between consecutive windows: one number for every split, or "
        "{train: .., val: .., test: ..}",
    )
    split_context: bool = Field(
        default=True,
        description="val and test windows take their inputs from the rows before the split "
        "(the earlier splits' last input_length + offset rows), so their targets cover every "
        "step from the boundary on; false: every window lies inside its split",
    )
    features: list[str] | None = Field(default=None, description="None: every column")
    targets: list[str] = Field(min_length=1)
    future_features: list[str] | Literal["calendar"] = Field(
        default=[],
        description="columns known ahead of time, given to the model over the forecast "
        "horizon as a second input: column names, or 'calendar' (the columns of "
        "normalisation.calendar_features); []: none",
    )
    format: Format = "hdf5"
    layout: LayoutSetting = "auto"
    shard_mb: float = Field(default=64.0, gt=0, description="uncompressed MB per shard")
    segment_rows: int | None = Field(default=None, ge=1, description="None: 16 spans")
    compression: Compression = "gzip"
    compression_level: int = Field(default=4, ge=0, le=9)

    @field_validator("stride", mode="before")
    @classmethod
    def _one_stride_for_every_split(cls, value):
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        if value < 1:
            raise ValueError("must be at least 1 (or {train: .., val: .., test: ..})")
        return {"train": value, "val": value, "test": value}

    @model_validator(mode="after")
    def _compression_for_format(self):
        if self.format == "tfrecord" and self.compression not in TFRECORD_COMPRESSION:
            raise ValueError(
                f"TFRecord supports compression {' or '.join(map(repr, TFRECORD_COMPRESSION))}, "
                f"not {self.compression!r}"
            )
        return self

    @model_validator(mode="after")
    def _future_features_fit(self):
        if isinstance(self.future_features, list):
            known = [t for t in self.targets if t in self.future_features]
            if known:
                raise ValueError(
                    f"future_features {self.future_features} include the target(s) {known}: "
                    f"a target is what is forecast, it is not known ahead"
                )
        if self.future_features and self.layout == "windows":
            raise ValueError(
                "future_features need layout 'segments' (or auto): layout 'windows' stores "
                "inputs and targets only"
            )
        return self

    @property
    def span(self) -> int:
        """Rows one window touches, inputs to last target."""
        return self.input_length + self.offset + self.horizon

    def stride_of(self, split: str) -> int:
        """The stride of ``split`` (train, val or test)."""
        return getattr(self.stride, split)

    def resolved_layout(self, split: str = "train", side_inputs: bool = False) -> str:
        """``auto``: segments while ``split``'s windows overlap or the model takes side
        inputs (future features, the series code), one record per window otherwise."""
        if self.layout != "auto":
            return self.layout
        segments = self.stride_of(split) < self.span or side_inputs or self.future_features
        return "segments" if segments else "windows"
