"""The two ingestion steps for classification, as library functions (no Kedro here).

``read_labelled``: raw files -> ``raw_series`` (long table, labels as text) + read report.
``clean_labelled``: -> ``series`` (missing values filled, labels as int32 codes),
ingestion report and ``label_mapping``.
"""

from pathlib import Path

import pandas as pd

from lstm_pipeline.ingest.labelled.filling import fill_missing
from lstm_pipeline.ingest.labelled.labels import encode, label_mapping, sort_classes
from lstm_pipeline.ingest.labelled.read import LabelledSpec, locate_case, read_labelled_splits
from lstm_pipeline.ingest.labelled.sequences import to_frame


def read_labelled(
    files: list[Path], spec: LabelledSpec, missing_markers=("", "NaN", "NA", "?")
) -> tuple[pd.DataFrame, dict]:
    """Read every labelled file into the long ``raw_series`` table and its read report.

    ``attrs["classes"]`` holds the distinct training labels (the checked mapping is made by
    :func:`clean_labelled`).
    """
    splits, report = read_labelled_splits(files, spec, missing_markers)
    base = splits.get("train", splits.get("all"))
    frame = to_frame(splits, sort_classes(base.labels))
    report["format"] = spec.format
    _refuse_early(frame, report, spec)
    return frame, report


def _refuse_early(raw: pd.DataFrame, read_report: dict, spec: LabelledSpec) -> None:
    """The checks of :func:`clean_labelled` that can fail, made in the first node already,
    so that bad labels (or a missing value under ``missing: error``) replace nothing."""
    locate = _locator(read_report)
    label_mapping(raw, locate, _files(read_report))
    if spec.missing == "error":
        fill_missing(raw, list(raw.attrs.get("dims") or read_report["dims"]), "error", locate)


def _locator(read_report: dict):
    """``locate(split, case)``: the file and line of a case, for messages."""
    return lambda split, case: locate_case(read_report, split, case)


def _files(read_report: dict) -> dict:
    return {split: [row["path"] for row in rows] for split, rows in read_report["files"].items()}


def clean_labelled(
    raw: pd.DataFrame, read_report: dict, spec: LabelledSpec
) -> tuple[pd.DataFrame, dict, dict]:
    """Check the labels, fill missing values, encode labels.

    Returns:
        ``series`` (label as int32 code, no NaN), the ingestion report and the label mapping.
    """
    locate = _locator(read_report)
    mapping = label_mapping(raw, locate, _files(read_report))
    dims = list(raw.attrs.get("dims") or read_report["dims"])
    series, filled = fill_missing(raw, dims, spec.missing, locate)
    series["label"] = encode(series["label"], mapping["classes"])
    series.attrs = {"task": "classification", "dims": dims, "classes": mapping["classes"]}
    report = {**read_report, "missing": filled, "classes": mapping["classes"]}
    report["n_classes"] = len(mapping["classes"])
    report["label_counts"] = mapping["counts"]
    return series, report, mapping
