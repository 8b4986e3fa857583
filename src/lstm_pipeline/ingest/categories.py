"""Categorical columns (text such as a wind direction 'NE', or integer codes) carried through
ingestion as float32 codes into a vocabulary, so the numeric path (sorting, duplicates, the
grid, resampling) handles them unchanged and nothing is ever averaged into a fraction.

The vocabulary holds every value read, in first-seen order; which categories a model may
use is decided later, on the train split only (:mod:`lstm_pipeline.scaling.categories`).

Example:
    >>> coder = CategoryCoder(["cbwd"])
    >>> codes = coder.encode("cbwd", chunk["cbwd"])      # float32, NaN where missing
    >>> coder.vocabularies                                 # {"cbwd": ["NW", "cv", "NE", "SE"]}
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd


class CategoryCoder:
    """Codes of the values of ``columns``, growing a vocabulary per column as chunks arrive."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._codes: dict[str, dict[str, int]] = {column: {} for column in columns}

    @property
    def columns(self) -> list[str]:
        return list(self._codes)

    @property
    def vocabularies(self) -> dict[str, list[str]]:
        """Every value seen per column; code i is the i-th."""
        return {column: list(codes) for column, codes in self._codes.items()}

    def encode(self, column: str, values: pd.Series) -> np.ndarray:
        """float32 codes of ``values`` (missing stays NaN); integral numbers are one
        category whatever their spelling: 3, '3' and '3.0' are '3'."""
        present = values.notna().to_numpy()
        text = values[present].map(_as_text).to_numpy(dtype=object)
        known = self._codes[column]
        for value in pd.unique(text):
            known.setdefault(value, len(known))
        codes = np.full(len(values), np.nan, dtype=np.float32)
        codes[present] = [known[value] for value in text]
        return codes


def _as_text(value) -> str:
    """The category's name: an integral number in any spelling (3, 3.0, '3.0': a float
    column with gaps writes its codes so) is its integer; any other value its trimmed text."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def mode_or_last(codes: pd.Series) -> float:
    """The most frequent code of a resampling bucket (ties: the latest), NaN when none."""
    present = codes.dropna()
    if present.empty:
        return np.nan
    counts = present.value_counts(sort=False)
    best = counts[counts == counts.max()].index
    return float(present[present.isin(best)].iloc[-1])
