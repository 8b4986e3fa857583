"""Validated parameters of the prediction pipeline (conf/base/parameters_prediction.yml).

The new data is read with the training run's ``ingestion`` settings and preprocessed with
its stored artifacts, so prediction has only these of its own. Defaults equal conf/base."""

from pydantic import Field

from lstm_pipeline.parameters import StrictModel


class PredictionParams(StrictModel):
    parameter_key = "prediction"

    raw: str | None = Field(
        default=None,
        description="the new raw files, a file or a folder (read by the catalog entry "
        "prediction_raw_files from --params prediction.raw=...); null: the entry's default",
    )
    batch_size: int = Field(
        default=256, ge=1, description="series (forecast) or cases (classification) at a time"
    )
