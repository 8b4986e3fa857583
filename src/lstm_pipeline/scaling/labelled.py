"""Splits and scalers for labelled sequences (classification).

The archive's TRAIN/TEST split is the test protocol and is kept; validation cases are drawn
from TRAIN, stratified by label (scikit-learn), and may be none. A source without a split
(one HDF5 file, one table) gets a stratified test split first. Scalers: per-sequence
z-normalisation (the UCR convention: each case and channel to mean 0, std 1, no state), or
a per-channel scaler fitted on the train cases only.

Frames are the long tables of ``lstm_pipeline.ingest.labelled``: columns ``split``,
``case``, ``step``, ``label``, then one column per dimension.

Example:
    >>> ranges = split_cases(series, validation=0.2, test=0.25, seed=42)
    >>> scaler = fit_sequence_scaler(take_cases(series, ranges, "train"), "per_sequence")
    >>> train = scale_cases(take_cases(series, ranges, "train"), scaler)
"""

from typing import Literal

import numpy as np
import pandas as pd

from lstm_pipeline.errors import SplitError
from lstm_pipeline.scaling.scaler import Scaler, fit_scaler

SequenceScaler = Literal["per_sequence", "standard", "minmax", "robust", "none"]
KEYS = ["split", "case", "step", "label"]
SPLITS = ("train", "val", "test")


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The dimension columns of a long table: everything but the keys."""
    return [c for c in frame.columns if c not in KEYS]


def case_labels(frame: pd.DataFrame, split: str) -> pd.Series:
    """One label per case of ``split`` (its first row), indexed by case number."""
    rows = frame[frame["split"] == split]
    return rows.groupby("case", sort=True)["label"].first()


def split_cases(frame: pd.DataFrame, validation: float, test: float, seed: int) -> dict:
    """Case numbers per split: test is the source's TEST (or a stratified ``test`` share of
    a source without a split), validation a stratified ``validation`` share of TRAIN.

    Raises:
        SplitError: a share leaves a split too small to stratify, or no train case.
    """
    splits = set(frame["split"].unique())
    if splits == {"all"}:
        train, held_out = _stratified(case_labels(frame, "all"), test, seed, "labelled.test")
        source = {"train": "all", "val": "all", "test": "all"}
    else:
        train, held_out = case_labels(frame, "train"), case_labels(frame, "test")
        source = {"train": "train", "val": "train", "test": "test"}
    fit, val = _stratified(train, validation, seed, "labelled.validation")
    cases = {"train": fit.index, "val": val.index, "test": held_out.index}
    return {
        "task": "classification",
        "source": source,
        "cases": {name: sorted(int(c) for c in cases[name]) for name in SPLITS},
    }


def _stratified(labels: pd.Series, share: float, seed: int, knob: str):
    """``labels`` cut into (kept, drawn) with ``share`` of each class drawn."""
    if share == 0:
        return labels, labels.iloc[:0]
    from sklearn.model_selection import train_test_split

    try:
        kept, drawn = train_test_split(
            labels, test_size=share, stratify=labels.to_numpy(), random_state=seed
        )
    except ValueError as exc:  # a class too small to appear on both sides, or too few cases
        counts = labels.value_counts().to_dict()
        raise SplitError(
            f"normalisation.{knob} = {share} cannot draw a stratified share of "
            f"{len(labels)} cases with class counts {counts}: {exc}. Lower it (0 turns it off)."
        ) from exc
    return kept.sort_index(), drawn.sort_index()


def take_cases(frame: pd.DataFrame, ranges: dict, name: str) -> pd.DataFrame:
    """The rows of split ``name`` (sorted by case and step), without the ``split`` column."""
    source, wanted = ranges["source"][name], ranges["cases"][name]
    rows = frame[(frame["split"] == source) & frame["case"].isin(wanted)]
    return rows.drop(columns="split").sort_values(["case", "step"]).reset_index(drop=True)


def fit_sequence_scaler(train: pd.DataFrame, method: str) -> dict:
    """A per-channel scaler fitted on the train cases, or the stateless per-sequence one."""
    columns = feature_columns(train)
    if train.empty:
        raise SplitError("The train split holds no case: nothing to fit a scaler on.")
    fitted = {"task": "classification", "method": method, "columns": columns}
    if method in ("per_sequence", "none"):
        return fitted
    stats = fit_scaler(train, method, columns)
    return {**fitted, "center": stats["center"], "scale": stats["scale"]}


def scale_cases(frame: pd.DataFrame, scaler: dict) -> pd.DataFrame:
    """``frame`` with its dimension columns scaled as ``scaler`` says (float32)."""
    columns, method = scaler["columns"], scaler["method"]
    out = frame.copy()
    if method == "per_sequence":
        out[columns] = _z_normalised(frame, columns)
    elif method != "none":
        out[columns] = Scaler(scaler).scale(frame).to_numpy()
    out[columns] = out[columns].astype(np.float32)
    return out


def _z_normalised(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Each case and channel to mean 0 and std 1 (a constant channel becomes 0)."""
    values = frame[columns].to_numpy(np.float64)
    groups = frame.groupby("case", sort=False)[columns]
    mean = groups.transform("mean").to_numpy(np.float64)
    std = groups.transform("std", ddof=0).to_numpy(np.float64)
    safe = np.where(std > 0, std, 1.0)
    return np.where(std > 0, (values - mean) / safe, 0.0)
