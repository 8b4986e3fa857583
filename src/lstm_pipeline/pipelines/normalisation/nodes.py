"""Normalisation nodes: series -> split_ranges -> scaler -> train/val/test series.

The scaler sees the train rows (or train cases) only; validation and test are transformed
with it. Each node looks the task's library function up in a small table.
"""

import logging
from functools import partial

import pandas as pd

from lstm_pipeline.parallel.engine import EngineParams, Mapper, mapper_for
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.scaling import labelled
from lstm_pipeline.scaling.calendar import add_calendar, check_calendar
from lstm_pipeline.scaling.categories import fit_categories, unseen_counts
from lstm_pipeline.scaling.many import fit_per_series, numeric_columns, series_names
from lstm_pipeline.scaling.scaler import Scaler, check_train_split, fit_with_pca
from lstm_pipeline.scaling.split import find_ranges, find_ranges_per_series, take

logger = logging.getLogger(__name__)
SPLITS = ("train", "val", "test")


def find_split_ranges(
    series: pd.DataFrame, params: NormalisationParams, task: str, seed: int
) -> dict:
    """Which rows (forecasting: chronological ranges) or cases (classification: TRAIN/TEST
    kept, stratified validation from TRAIN) make each split."""
    return _SPLITTERS[task](series, params, seed)


def fit_train_scaler(
    series: pd.DataFrame,
    split_ranges: dict,
    params: NormalisationParams,
    task: str,
    engine: EngineParams | None = None,
) -> dict:
    """Fit the scaler (and optional PCA) on the train split only; forecasting on the
    ``dask`` engine (``params:engine``) computes the moments of each block of train rows on
    a worker and combines them (Chan's formula)."""
    return _FITTERS[task](series, split_ranges, params, mapper_for(engine))


def transform_splits(
    series: pd.DataFrame, split_ranges: dict, scaler: dict, task: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Apply the train-fitted scaler to each split.

    Returns:
        The train, val and test splits, and the normalisation report: rows (or cases) per
        split and, forecasting, the values of each categorical column that the train split
        never held, counted per split.
    """
    splits = _TRANSFORMS[task](series, split_ranges, scaler)
    report = {"task": task, "splits": {}}
    for name, part in zip(SPLITS, splits, strict=True):
        report["splits"][name] = {"rows": len(part), **part.attrs.pop("report", {})}
    return (*splits, report)


def _chronological_ranges(series: pd.DataFrame, params: NormalisationParams, seed: int) -> dict:
    """Row and time ranges, once the train split is known to suit the scaler (checked here,
    so a bad one replaces nothing)."""
    blocks = series.attrs.get("series")
    if blocks:
        ranges = find_ranges_per_series(series.index, blocks, params.split)
        for name, reason in ranges["skipped"].items():
            logger.warning("Series %s is skipped: %s", name, reason)
    else:
        ranges = find_ranges(series.index, params.split)
    pca = params.pca.columns if params.pca.enabled else None
    check_train_split(take(series, ranges, "train"), pca)
    for name in SPLITS:
        logger.info("%s split: %d rows", name, ranges[name]["rows"])
    return ranges


def _labelled_cases(series: pd.DataFrame, params: NormalisationParams, seed: int) -> dict:
    options = params.labelled
    ranges = labelled.split_cases(series, options.validation, options.test, seed)
    for name in SPLITS:
        logger.info("%s split: %d cases", name, len(ranges["cases"][name]))
    return ranges


def _fit_on_rows(
    series: pd.DataFrame, split_ranges: dict, params: NormalisationParams, map_items: Mapper
) -> dict:
    """The scaler of the numeric columns, and the categories of the categorical ones (both
    from the train rows only)."""
    train = take(series, split_ranges, "train")
    vocabularies = series.attrs.get("categories") or {}
    numeric = train[numeric_columns(series)]
    fitted = fit_with_pca(numeric, params.scaler, params.pca, map_items)
    names = series_names(series)
    if names:
        fitted["series"] = {"names": names, "static_input": params.series_input}
    if names and params.scale_per_series:
        fit = partial(fit_with_pca, method=params.scaler, pca=params.pca, map_items=map_items)
        fitted["per_series"] = fit_per_series(series, split_ranges, fit)
    check_calendar(train, params.calendar_features)
    fitted["calendar"] = list(params.calendar_features)
    fitted["categorical"] = None
    if vocabularies:
        encoding, unseen = params.categorical_encoding, params.unseen_category
        fitted["categorical"] = fit_categories(train, vocabularies, encoding, unseen)
    return fitted


def _fit_on_cases(
    series: pd.DataFrame, split_ranges: dict, params: NormalisationParams, map_items: Mapper
) -> dict:
    train = labelled.take_cases(series, split_ranges, "train")  # in this process
    return labelled.fit_sequence_scaler(train, params.labelled.scaler)


def _scale_rows(series: pd.DataFrame, split_ranges: dict, scaler: dict) -> tuple:
    """Each split scaled, carrying the series' frequency (windowing reads it) and the count
    of categories the train split never held (for the report)."""
    transform, categorical, splits = Scaler(scaler).transform, scaler.get("categorical"), []
    for name in SPLITS:
        rows = take(series, split_ranges, name)
        part = add_calendar(transform(rows, name), scaler.get("calendar") or [])
        unseen = unseen_counts(rows, categorical) if categorical else {}
        _warn_unseen(name, unseen)
        part.attrs = {
            "frequency": series.attrs.get("frequency"),
            "report": {"unseen_categories": unseen},
        }
        if "series" in split_ranges:  # windowing keeps each series apart
            own = split_ranges["series"].items()
            part.attrs["series"] = [[n, r[name]["rows"]] for n, r in own]
            identity = scaler["series"]  # an embedding needs every series' code
            part.attrs["series_input"] = identity["static_input"]
            part.attrs["series_count"] = len(identity["names"])
            part.attrs["report"]["skipped_series"] = split_ranges["skipped"]
        splits.append(part)
    return tuple(splits)


def _warn_unseen(split: str, unseen: dict) -> None:
    for column, values in unseen.items():
        if values:
            logger.warning(
                "%s split: %d row(s) of '%s' hold categories the train split lacks (%s): "
                "encoded as 'other'",
                split,
                sum(values.values()),
                column,
                ", ".join(f"{v!r} x{n}" for v, n in values.items()),
            )


def _scale_cases(series: pd.DataFrame, split_ranges: dict, scaler: dict) -> tuple:
    """Each split scaled, carrying what the windowing stage reads from the file itself."""
    attrs = {
        "task": "classification",
        "classes": list(series.attrs.get("classes", [])),
        "features": list(scaler["columns"]),
    }
    splits = []
    for name in SPLITS:
        part = labelled.scale_cases(labelled.take_cases(series, split_ranges, name), scaler)
        part.attrs = dict(attrs)
        splits.append(part)
    return tuple(splits)


_SPLITTERS = {"forecast": _chronological_ranges, "classification": _labelled_cases}
_FITTERS = {"forecast": _fit_on_rows, "classification": _fit_on_cases}
_TRANSFORMS = {"forecast": _scale_rows, "classification": _scale_cases}
