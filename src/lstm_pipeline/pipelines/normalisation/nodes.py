"""Normalisation nodes: series -> split_ranges -> scaler -> train/val/test series.

The scaler sees the train rows only; validation and test are transformed with it.
"""

import logging

import pandas as pd

from lstm_pipeline.errors import ColumnNotFoundError
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.scaling.scaler import Scaler, fit_pca, fit_scaler
from lstm_pipeline.scaling.split import split_by_fractions, split_by_timestamps, take

logger = logging.getLogger(__name__)


def find_split_ranges(series: pd.DataFrame, params: NormalisationParams) -> dict:
    """Row ranges and time ranges of the chronological train/val/test split."""
    split = params.split
    if split.method == "fractions":
        fractions = {"train": split.train, "val": split.val, "test": split.test}
        ranges = split_by_fractions(series.index, fractions, split.min_train_rows)
    else:
        ranges = split_by_timestamps(
            series.index, split.val_start, split.test_start, split.min_train_rows
        )
    for name, part in ranges.items():
        logger.info("%s split: %d rows, %s to %s", name, part["rows"], part["start"], part["end"])
    return ranges


def fit_train_scaler(series: pd.DataFrame, split_ranges: dict, params: NormalisationParams) -> dict:
    """Fit the scaler (and optional PCA) on the train rows only."""
    train = take(series, split_ranges, "train")
    fitted = fit_scaler(train, params.scaler, list(series.columns))
    if params.pca.enabled:
        absent = [c for c in params.pca.columns if c not in series.columns]
        if absent:
            raise ColumnNotFoundError(
                f"'normalisation.pca.columns' names {absent}, which the series does not have; "
                f"it has {list(series.columns)}."
            )
        scaled_train = Scaler(fitted).scale(train)
        fitted["pca"] = fit_pca(
            scaled_train, params.pca.columns, params.pca.n_components, params.pca.variance
        )
        logger.info(
            "PCA: %d columns -> %d components (%.1f%% of variance)",
            len(params.pca.columns),
            len(fitted["pca"]["output_columns"]),
            100 * sum(fitted["pca"]["explained_variance_ratio"]),
        )
    return fitted


def transform_splits(
    series: pd.DataFrame, split_ranges: dict, scaler: dict
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the train-fitted scaler to each split."""
    transform = Scaler(scaler).transform
    return tuple(transform(take(series, split_ranges, name)) for name in ("train", "val", "test"))
