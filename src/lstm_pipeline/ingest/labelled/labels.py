"""Class labels <-> integer codes (the ``label_mapping`` catalog entry).

The classes come from the TRAIN labels (or from every case where the data has no split),
sorted numerically when every label is a number, else as text; code ``i`` is
``classes[i]``. The number of classes is ``len(classes)``, never a setting.

Example:
    >>> sort_classes(["10", "2", "1"])
    ['1', '2', '10']
    >>> encode(np.array(["2", "10"], dtype=object), ["1", "2", "10"])
    array([1, 2], dtype=int32)
"""

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from lstm_pipeline.errors import LabelError


def forecast_mapping() -> dict:
    """The ``label_mapping`` a forecasting run writes: no classes."""
    return {"task": "forecast", "classes": [], "counts": {}}


def sort_classes(labels: Iterable[str]) -> list[str]:
    """The distinct labels, numerically sorted when all are numbers, else as text."""
    distinct = sorted({str(label) for label in labels})
    try:
        numbers = [float(label) for label in distinct]
    except ValueError:
        return distinct
    return [label for _, label in sorted(zip(numbers, distinct, strict=True))]


def case_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per case: split, case, label (the first step's rows of the long table)."""
    return frame.loc[frame["step"] == 0, ["split", "case", "label"]].reset_index(drop=True)


def label_mapping(frame: pd.DataFrame, locate: Callable[[str, int], str], files: dict) -> dict:
    """Build and check the label mapping from the long (raw) table.

    Args:
        frame: the raw table (``label`` as text).
        locate: ``(split, case) -> '<file> case k'`` for messages.
        files: split -> file paths, for messages about a whole split.

    Returns:
        ``{"task": "classification", "classes": [...], "counts": {split: {class: n}}}``.
    """
    cases = case_labels(frame)
    base = "train" if "train" in set(cases["split"]) else "all"
    classes = sort_classes(cases.loc[cases["split"] == base, "label"])
    if len(classes) < 2:
        raise LabelError(
            f"{', '.join(files[base])}: the {base} split holds a single class {classes}; "
            f"classification needs at least two classes in training."
        )
    unseen = cases[~cases["label"].isin(classes)]
    if len(unseen):
        first = unseen.iloc[0]
        raise LabelError(
            f"{locate(first['split'], int(first['case']))} ({first['split']} case "
            f"{int(first['case'])}): label {first['label']!r} never occurs in {base} (classes "
            f"{classes}); {len(unseen)} {first['split']} case(s) have unseen labels. Remove "
            f"them or add training cases of that class."
        )
    present = set(cases["split"])
    counts = {
        split: {c: int(((cases["split"] == split) & (cases["label"] == c)).sum()) for c in classes}
        for split in ("train", "test", "all")
        if split in present
    }
    return {"task": "classification", "classes": classes, "counts": counts}


def encode(labels: np.ndarray | pd.Series, classes: list[str]) -> np.ndarray:
    """Codes (int32) of text labels; every label must be one of ``classes``."""
    codes = pd.Categorical(np.asarray(labels, dtype=object), categories=classes).codes
    if (codes < 0).any():
        bad = np.asarray(labels, dtype=object)[codes < 0][0]
        raise LabelError(f"label {bad!r} is not one of the classes {classes}.")
    return codes.astype(np.int32)


def decode(codes: np.ndarray, classes: list[str]) -> np.ndarray:
    """Text labels of codes (the inverse of :func:`encode`)."""
    return np.asarray(classes, dtype=object)[np.asarray(codes, dtype=np.int64)]
