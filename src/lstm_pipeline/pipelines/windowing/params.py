"""Validated parameters of the windowing pipeline (conf/base/parameters_windowing.yml)."""

from pydantic import Field, model_validator

from lstm_pipeline.parameters import StrictModel
from lstm_pipeline.windows.choices import (
    TFRECORD_COMPRESSION,
    Compression,
    Format,
    LayoutSetting,
)


class WindowingParams(StrictModel):
    """``windowing`` parameters; defaults equal conf/base, the targets are required."""

    parameter_key = "windowing"

    input_length: int = Field(default=168, ge=1, description="timesteps fed to the model")
    horizon: int = Field(default=24, ge=1, description="steps predicted")
    offset: int = Field(default=0, ge=0, description="gap from last input to first target")
    stride: int = Field(default=1, ge=1, description="steps between consecutive windows")
    features: list[str] | None = Field(default=None, description="None: every column")
    targets: list[str] = Field(min_length=1)
    format: Format = "hdf5"
    layout: LayoutSetting = "auto"
    shard_mb: float = Field(default=64.0, gt=0, description="uncompressed MB per shard")
    segment_rows: int | None = Field(default=None, ge=1, description="None: 16 spans")
    compression: Compression = "gzip"
    compression_level: int = Field(default=4, ge=0, le=9)

    @model_validator(mode="after")
    def _compression_for_format(self):
        if self.format == "tfrecord" and self.compression not in TFRECORD_COMPRESSION:
            raise ValueError(
                f"TFRecord supports compression {' or '.join(map(repr, TFRECORD_COMPRESSION))}, "
                f"not {self.compression!r}"
            )
        return self

    @property
    def span(self) -> int:
        """Rows one window touches, inputs to last target."""
        return self.input_length + self.offset + self.horizon

    def resolved_layout(self) -> str:
        """``auto``: segments while windows overlap, one record per window otherwise."""
        if self.layout != "auto":
            return self.layout
        return "segments" if self.stride < self.span else "windows"
