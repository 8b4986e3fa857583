"""Labelled sequences resampled to another length (linear interpolation).

Resampled rather than cropped: a crop to a quarter keeps a quarter of the shape (GunPoint's
gesture sits mid-case, so short crops lose what separates the classes) and no crop makes a
case longer. Resampling keeps each whole case at every length, so the length is what
changes, not what the case shows.

    >>> resample_values(np.array([[0.0], [2.0]]), 3)[:, 0].tolist()
    [0.0, 1.0, 2.0]
"""

import numpy as np
import pandas as pd

from lstm_pipeline.errors import SettingsError

KEYS = ["case", "step", "label"]


def resampled_length(length: int, factor: float) -> int:
    """``factor`` times ``length`` steps, rounded, at least 2 (an interpolation's ends)."""
    return max(2, round(length * factor))


def resample_values(values: np.ndarray, length: int) -> np.ndarray:
    """``values`` (n, F) at ``length`` evenly spaced positions from its first step to its
    last, each feature interpolated linearly (``np.interp``); float32 (length, F)."""
    values = np.asarray(values, dtype=np.float64)
    positions = np.linspace(0, len(values) - 1, length)
    steps = np.arange(len(values))
    columns = [np.interp(positions, steps, values[:, f]) for f in range(values.shape[1])]
    return np.stack(columns, axis=1).astype(np.float32)


def resample_cases(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    """A long table of labelled cases (``case``, ``step``, ``label``, then one column per
    feature) with every case resampled to ``factor`` times its length; ``attrs`` kept."""
    if factor <= 0:
        raise SettingsError(f"study length factor = {factor}: must be greater than 0")
    features = [c for c in frame.columns if c not in KEYS]
    parts = []
    for (case, label), rows in frame.groupby(["case", "label"], sort=True):
        original = rows.sort_values("step")[features].to_numpy()
        values = resample_values(original, resampled_length(len(original), factor))
        part = pd.DataFrame(values, columns=features)
        part.insert(0, "label", np.int32(label))
        part.insert(0, "step", np.arange(len(values), dtype=np.int32))
        part.insert(0, "case", np.int64(case))
        parts.append(part)
    empty = frame.iloc[:0][[*KEYS, *features]]
    result = pd.concat(parts, ignore_index=True) if parts else empty.reset_index(drop=True)
    result = result.astype(frame.dtypes[[*KEYS, *features]].to_dict())
    result.attrs = dict(frame.attrs)
    return result
