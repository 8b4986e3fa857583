"""Many series: one scaler for all (fitted on every series' train rows) or one per series
(each fitted on its own train rows only), and the series identity as an optional static
input (one-hot columns ``series=<name>``, constant along each series).

The ``series`` code column itself passes through every split unscaled: windowing reads it to
keep the series apart, and it is never a model input.

    >>> fitted = fit_many(series, ranges, params)          # scaler.json
    >>> Scaler(fitted).transform(take(series, ranges, "test"))
"""

import numpy as np
import pandas as pd

from lstm_pipeline.ingest.many import SERIES
from lstm_pipeline.scaling.split import take


def series_names(frame: pd.DataFrame) -> list[str]:
    """The names of a many-series frame's series, in code order ([] for one series)."""
    return [name for name, _ in frame.attrs.get("series") or []]


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """The columns a scaler scales: not a category, not the series code."""
    categorical = frame.attrs.get("categories") or {}
    return [c for c in frame.columns if c not in categorical and c != SERIES]


def fit_per_series(series: pd.DataFrame, ranges: dict, fit) -> dict:
    """``fit`` (train rows -> fitted scaler dict) of each series' own train rows."""
    numeric = numeric_columns(series)
    return {
        name: fit(take(series, {"series": {name: own}}, "train")[numeric])
        for name, own in ranges["series"].items()
    }


def identity_columns(frame: pd.DataFrame, names: list[str], static_input: str) -> pd.DataFrame:
    """The ``series`` code column, and with ``static_input: onehot`` one column per series
    (1 on its rows), in ``names`` order."""
    codes = frame[SERIES].to_numpy()
    columns = {SERIES: codes.astype(np.float32)}
    if static_input == "onehot":
        for code, name in enumerate(names):
            columns[f"{SERIES}={name}"] = (codes == code).astype(np.float32)
    return pd.DataFrame(columns, index=frame.index)


def blocks_of(frame: pd.DataFrame, names: list[str]):
    """(name, rows of that series) for each series present in ``frame``, in order."""
    codes = frame[SERIES].to_numpy()
    for code, name in enumerate(names):
        rows = codes == code
        if rows.any():
            yield name, frame[rows]
