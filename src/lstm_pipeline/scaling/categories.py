"""Categorical columns encoded with categories learned on the train split only.

Ingestion stores a categorical column as float32 codes into a vocabulary of every value
read (``series.attrs["categories"]``). Here the train rows decide which categories exist;
validation and test rows are encoded with them, so nothing about later rows leaks into the
encoding. A value the train split never held becomes an explicit ``other`` (its own one-hot
column, or the last code) or is refused, as configured, and is counted.

Example:
    >>> fitted = fit_categories(train, {"weather": ["rain", "sun", "fog"]}, "onehot", "other")
    >>> encoded = encode_categories(test, fitted)     # weather=fog, weather=rain, ..., =other
    >>> unseen_counts(test, fitted)                   # {"weather": {"snow": 3}}
"""

from typing import Literal

import numpy as np
import pandas as pd

from lstm_pipeline.errors import MissingDataError, UnseenCategoryError

CategoryEncoding = Literal["onehot", "codes"]
UnseenCategory = Literal["other", "error"]
OTHER = "other"


def fit_categories(
    train: pd.DataFrame,
    vocabularies: dict[str, list[str]],
    encoding: CategoryEncoding,
    unseen: UnseenCategory,
) -> dict:
    """Per categorical column: the categories its train rows hold (sorted by name) and the
    ingestion codes of each. Raises MissingDataError for a column with no train value."""
    columns = {}
    for column, vocabulary in vocabularies.items():
        codes = np.unique(train[column].dropna().to_numpy()).astype(int)
        if not len(codes):
            raise MissingDataError(
                f"Categorical column '{column}' has no value in the train split "
                f"({train.index[0]} to {train.index[-1]}): no category to learn."
            )
        named = sorted(zip([vocabulary[c] for c in codes], codes.tolist(), strict=True))
        columns[column] = {
            "categories": [name for name, _ in named],
            "codes": [code for _, code in named],
            "vocabulary": list(vocabulary),
        }
    return {"encoding": encoding, "unseen": unseen, "columns": columns}


def encoded_columns(fitted: dict) -> list[str]:
    """The columns :func:`encode_categories` makes, in order."""
    names = []
    for column, learned in fitted["columns"].items():
        if fitted["encoding"] == "codes":
            names.append(column)
        else:
            names += [f"{column}={c}" for c in learned["categories"]] + [f"{column}={OTHER}"]
    return names


def encode_categories(frame: pd.DataFrame, fitted: dict, split: str = "") -> pd.DataFrame:
    """float32 columns encoding each categorical column of ``frame``: one-hot (one column
    per train category plus ``=other``) or codes (0..k-1 for the train categories, k for
    other). A missing value stays missing (NaN in every column of it). Raises
    :class:`UnseenCategoryError` for a category the train split lacked, when ``unseen`` is
    'error', naming the column, value, first timestamp and ``split``."""
    parts = []
    for column, learned in fitted["columns"].items():
        index = _train_index(frame[column].to_numpy(), learned)
        if fitted["unseen"] == "error":
            _refuse_unseen(frame, column, index, learned, split)
        parts.append(_encoded(column, index, learned, fitted["encoding"]))
    if not parts:
        return pd.DataFrame(index=frame.index)
    return pd.DataFrame(np.hstack(parts), index=frame.index, columns=encoded_columns(fitted))


def unseen_counts(frame: pd.DataFrame, fitted: dict) -> dict[str, dict[str, int]]:
    """Per categorical column, the rows of each category the train split never held."""
    counts = {}
    for column, learned in fitted["columns"].items():
        codes = frame[column].to_numpy()
        other = _train_index(codes, learned) == len(learned["categories"])
        values, numbers = np.unique(codes[other].astype(int), return_counts=True)
        vocabulary = learned["vocabulary"]
        counts[column] = {vocabulary[v]: int(n) for v, n in zip(values, numbers, strict=True)}
    return counts


def _train_index(codes: np.ndarray, learned: dict) -> np.ndarray:
    """Each ingestion code's position among the train categories (k: other; NaN kept)."""
    lookup = np.full(len(learned["vocabulary"]), len(learned["categories"]), np.float32)
    lookup[learned["codes"]] = np.arange(len(learned["codes"]))
    present = ~np.isnan(codes)
    index = np.full(len(codes), np.nan, np.float32)
    index[present] = lookup[codes[present].astype(int)]
    return index


def _encoded(column: str, index: np.ndarray, learned: dict, encoding: str) -> np.ndarray:
    if encoding == "codes":
        return index[:, None]
    width = len(learned["categories"]) + 1  # the train categories, then other
    onehot = np.zeros((len(index), width), np.float32)
    present = ~np.isnan(index)
    onehot[np.flatnonzero(present), index[present].astype(int)] = 1.0
    onehot[~present] = np.nan
    return onehot


def _refuse_unseen(frame, column: str, index: np.ndarray, learned: dict, split: str) -> None:
    other = np.flatnonzero(index == len(learned["categories"]))
    if len(other):
        first = other[0]
        value = learned["vocabulary"][int(frame[column].iloc[first])]
        raise UnseenCategoryError(
            f"Categorical column '{column}' holds {value!r} at {frame.index[first]}"
            f"{f' in the {split} split' if split else ''} ({len(other)} row(s)), a category "
            f"the train split never held (it has {learned['categories']}). Set "
            f"'normalisation.unseen_category: other' to map such values to '{OTHER}'."
        )
