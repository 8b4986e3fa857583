"""Validated parameters of the ingestion pipeline (conf/base/parameters_ingestion.yml).

Kedro turns the ``ingestion`` dictionary into :class:`IngestionParams` before any node runs,
so a wrong type or an impossible combination stops the run with the parameter's name.

The nested settings and the allowed values are defined in the library that uses them
(:mod:`lstm_pipeline.ingest`). Fields that describe the data (timestamp columns, features,
targets, missing markers, resampling, CSV options) have no default: conf/base is the one
place they are set. Every other default here equals the value in conf/base.
"""

from pydantic import Field, model_validator

from lstm_pipeline.ingest.cleaning import DuplicatePolicy, Frequency, MissingSpec, ResampleSpec
from lstm_pipeline.ingest.labelled.read import LabelledSpec
from lstm_pipeline.ingest.timestamps import TimestampSpec
from lstm_pipeline.parameters import StrictModel


class IngestionParams(StrictModel):
    """The ``ingestion`` parameters: how raw files are read, cleaned and resampled
    (forecasting), or read as labelled sequences (``labelled``, classification)."""

    parameter_key = "ingestion"

    timestamp: TimestampSpec
    features: list[str] | None = Field(
        description="feature columns; null takes every numeric column"
    )
    targets: list[str] = Field(min_length=1)
    series_id: str | None = Field(
        default=None, description="a column naming each row's series: a long table of many"
    )
    series_per_file: bool = Field(
        default=False, description="true: each raw file is one series, named by its file"
    )
    categorical: list[str] = Field(
        default=[],
        description="feature columns of categories (text or integer codes), encoded by "
        "normalisation on the train split's categories",
    )
    missing_markers: list[str] = Field(description="text that means 'missing'")
    missing: MissingSpec = Field(default_factory=MissingSpec)
    duplicates: DuplicatePolicy = "error"
    frequency: Frequency | None = Field(
        default=None, description="native step, a pandas frequency (1h, D, W-SUN, MS); null infers"
    )
    resample: ResampleSpec | None = Field(description="null keeps the native grid")
    chunk_rows: int = Field(default=250_000, gt=0)
    csv_options: dict = Field(description="extra pandas.read_csv arguments; {} for none")
    labelled: LabelledSpec = Field(
        default_factory=LabelledSpec, description="classification inputs (task: classification)"
    )

    @model_validator(mode="after")
    def _features_not_an_empty_list(self):
        if self.features is not None and not self.features:
            raise ValueError("'features' is an empty list; write null to take every numeric one")
        return self

    @model_validator(mode="after")
    def _one_source_of_series(self):
        if self.series_id and self.series_per_file:
            raise ValueError("give 'series_id' (a column) or 'series_per_file', not both")
        named = {self.series_id} & {*self.targets, *(self.features or []), *self.categorical}
        if named:
            raise ValueError(f"'series_id' {self.series_id!r} is also a feature or target")
        return self

    @model_validator(mode="after")
    def _categories_are_features(self):
        forecast = set(self.categorical) & set(self.targets)
        if forecast:
            raise ValueError(
                f"'categorical' names target(s) {sorted(forecast)}: a forecast target must "
                f"be numeric"
            )
        resampled = set(self.categorical) & set(self.resample.per_column if self.resample else {})
        if resampled:
            raise ValueError(
                f"'resample.per_column' names categorical column(s) {sorted(resampled)}: a "
                f"category is resampled to its bucket's most frequent value"
            )
        return self
