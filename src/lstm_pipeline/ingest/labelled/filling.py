"""Missing values inside a sequence, filled by a stated policy (``ingestion.labelled.missing``).

- ``interpolate``: linear between the nearest known values of the same case and dimension;
  a gap at either end takes the nearest known value.
- ``ffill``: the last known value; a gap at the start takes the first known value.
- ``zero``: 0.
- ``error``: any missing value stops the run, naming the file, case, step and dimension.

A dimension with no known value in a case cannot be interpolated or carried: with
``interpolate`` or ``ffill`` it is an error naming the case. Every step is vectorised over
the whole long table (one pass per dimension), never a loop over cases.
"""

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from lstm_pipeline.errors import MissingDataError

FillPolicy = Literal["interpolate", "ffill", "zero", "error"]


def fill_missing(
    frame: pd.DataFrame, dims: list[str], policy: FillPolicy, locate: Callable[[str, int], str]
) -> tuple[pd.DataFrame, dict]:
    """Fill the NaNs of the long (split, case, step, label, dims...) table.

    Args:
        frame: sorted by split, case, step.
        dims: the value columns.
        policy: how to fill.
        locate: ``(split, case) -> text`` naming the file and case, for messages.

    Returns:
        The filled table (float32, same order and attrs) and a report of what was filled.
    """
    key = case_key(frame)
    out = frame.copy()
    per_dim = {}
    for dim in dims:
        values = frame[dim].to_numpy()
        holes = np.isnan(values)
        per_dim[dim] = int(holes.sum())
        if not holes.any():
            continue
        if policy == "error":
            _raise_at(frame, int(np.flatnonzero(holes)[0]), dim, locate, "policy 'error'")
        filled = np.where(holes, 0.0, values) if policy == "zero" else _carry(values, key, policy)
        if np.isnan(filled).any():
            row = int(np.flatnonzero(np.isnan(filled))[0])
            _raise_at(
                frame, row, dim, locate, f"no known value in this case ({policy!r} needs one)"
            )
        out[dim] = filled.astype(np.float32)
    found = {
        s: int(frame.loc[frame["split"] == s, dims].isna().to_numpy().sum())
        for s in frame["split"].unique()
    }
    report = {"policy": policy, "found": found, "filled": found, "per_dim": per_dim}
    return out, report


def case_key(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (split, case) run of rows (the table is sorted by them)."""
    case, split = frame["case"].to_numpy(), frame["split"].to_numpy()
    new = np.ones(len(frame), dtype=bool)
    new[1:] = (case[1:] != case[:-1]) | (split[1:] != split[:-1])
    return np.cumsum(new)


def _carry(values: np.ndarray, key: np.ndarray, policy: FillPolicy) -> np.ndarray:
    """Interpolate or forward-fill within each case (vectorised with grouped fills)."""
    position = np.arange(len(values), dtype=np.float64)
    known = pd.Series(np.where(np.isnan(values), np.nan, position))
    before = known.groupby(key).ffill().to_numpy()
    after = known.groupby(key).bfill().to_numpy()
    prev_v = _take(values, before)
    next_v = _take(values, after)
    if policy == "ffill":
        return np.where(np.isnan(prev_v), next_v, prev_v)
    span = after - before
    weight = np.divide(position - before, span, out=np.zeros_like(span), where=span > 0)
    inside = prev_v + (next_v - prev_v) * weight
    return np.where(np.isnan(prev_v), next_v, np.where(np.isnan(next_v), prev_v, inside))


def _take(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[index] as float64, NaN where index is NaN."""
    ok = ~np.isnan(index)
    out = np.full(len(index), np.nan)
    out[ok] = values[index[ok].astype(np.int64)]
    return out


def _raise_at(frame: pd.DataFrame, row: int, dim: str, locate, why: str) -> None:
    split, case = str(frame["split"].iloc[row]), int(frame["case"].iloc[row])
    step = int(frame["step"].iloc[row])
    raise MissingDataError(
        f"{locate(split, case)} (split {split!r}, case {case}): dimension {dim!r} is missing "
        f"at step {step} (0-based), {why}. Set ingestion.labelled.missing to interpolate, "
        f"ffill or zero, or fix the data."
    )
