"""Normalisation nodes: series -> split_ranges -> scaler -> train/val/test series.

The scaler sees the train rows only; validation and test are transformed with it.
"""

import logging

import pandas as pd

from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.scaling.scaler import Scaler, check_train_split, fit_with_pca
from lstm_pipeline.scaling.split import find_ranges, take

logger = logging.getLogger(__name__)


def find_split_ranges(series: pd.DataFrame, params: NormalisationParams) -> dict:
    """Row ranges and time ranges of the chronological train/val/test split, once the train
    split is known to suit the scaler (checked here, so a bad one replaces nothing)."""
    ranges = find_ranges(series.index, params.split)
    pca = params.pca.columns if params.pca.enabled else None
    check_train_split(take(series, ranges, "train"), pca)
    for name, part in ranges.items():
        logger.info("%s split: %d rows, %s to %s", name, part["rows"], part["start"], part["end"])
    return ranges


def fit_train_scaler(series: pd.DataFrame, split_ranges: dict, params: NormalisationParams) -> dict:
    """Fit the scaler (and optional PCA) on the train rows only."""
    return fit_with_pca(take(series, split_ranges, "train"), params.scaler, params.pca)


def transform_splits(
    series: pd.DataFrame, split_ranges: dict, scaler: dict
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the train-fitted scaler to each split."""
    transform = Scaler(scaler).transform
    return tuple(transform(take(series, split_ranges, name)) for name in ("train", "val", "test"))
