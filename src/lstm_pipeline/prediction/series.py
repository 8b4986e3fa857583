"""New timestamped data -> the window the model reads last, through the stored preprocessing.

``read_checked_series`` reads and cleans the new raw files with the ingestion library and
the training run's settings (``read`` and ``clean`` are those steps, settings bound), each
file checked first against what the model was trained on. ``model_window`` then encodes and
scales the series with the stored ``scaler.json`` (categories and series identities mapped
onto the training run's codes, calendar columns derived) and keeps, per series, the last
``input_length`` rows of the model's input columns.

    >>> series = read_checked_series(files, read, clean, trained)
    >>> window = model_window(series, scaler, windowing_record)
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.ingest.many import SERIES
from lstm_pipeline.prediction.checks import (
    InputMismatchError,
    TrainedSeries,
    check_columns,
    check_native_step,
    check_output_step,
)
from lstm_pipeline.scaling.calendar import add_calendar
from lstm_pipeline.scaling.scaler import Scaler

Reader = Callable[[list[Path]], tuple[pd.DataFrame, dict]]
Cleaner = Callable[[pd.DataFrame, dict], tuple[pd.DataFrame, dict]]
PREDICTION = "prediction"  # how the new rows are named in an unseen-category error


def read_checked_series(
    files: Sequence[Path],
    read: Reader,
    clean: Cleaner,
    trained: TrainedSeries,
    time_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """The new series as ingestion makes it (regular grid, gaps filled, resampled), after
    each file alone was checked: its columns and its time step are the trained ones.

    Raises:
        InputMismatchError: naming the file (and column) that differs; the errors of the
            ingestion readers for unreadable data.
    """
    files = list(files)
    for file in files:
        raw, report = read([file])
        names = (report.get("series") or {}).get("names", [])
        check_columns(str(file), list(raw.columns), trained)
        check_native_step(str(file), raw, trained, time_columns, names)
    if len(files) > 1:  # read together: duplicates and gaps are resolved across files
        raw, report = read(files)
    series, _ = clean(raw, report)
    check_output_step(_where(files), series.attrs.get("frequency"), trained)
    series.attrs["files"] = [str(f) for f in files]
    return series


def _where(files: Sequence) -> str:
    return "New raw file(s) " + ", ".join(f"'{f}'" for f in files)


def model_window(series: pd.DataFrame, scaler: dict, record: dict) -> pd.DataFrame:
    """The scaled input columns (``record['feature_columns']``) of the last
    ``record['input_length']`` rows of each series, in the training run's encoding.

    Returns:
        The rows (many series: one block per series in the training run's code order,
        with the ``series`` code column), ``attrs``: ``frequency``, ``files``, ``series``.

    Raises:
        InputMismatchError: a series the model never saw, fewer rows than one window, or a
            missing value inside the last window.
    """
    attrs = dict(series.attrs)
    where = _where(attrs.get("files", []))
    series, names = _trained_series_codes(series, scaler, where)
    series, fitted = _trained_category_codes(series, scaler)
    scaled = Scaler(fitted).transform(series, PREDICTION)
    scaled = add_calendar(scaled, scaler.get("calendar") or [])
    columns = [*record["feature_columns"], *([SERIES] if names else [])]
    tails = [
        _last_window(rows[columns], record, where, names[code] if names else None)
        for code, rows in _blocks(scaled)
    ]
    present = _present(scaled, names) or [None]
    window = pd.concat(tails)
    window.attrs = {
        "frequency": attrs.get("frequency"),
        "files": attrs.get("files", []),
        "series": [[n, len(rows)] for n, rows in zip(present, tails, strict=True) if n],
    }
    return window


def _blocks(frame: pd.DataFrame):
    """(series code or None, its rows) in code order."""
    if SERIES not in frame.columns:
        yield None, frame
        return
    codes = frame[SERIES].to_numpy()
    for code in np.unique(codes):
        yield int(code), frame[codes == code]


def _present(frame: pd.DataFrame, names: list[str]) -> list[str]:
    if SERIES not in frame.columns:
        return []
    return [names[int(code)] for code in np.unique(frame[SERIES].to_numpy())]


def _last_window(rows: pd.DataFrame, record: dict, where: str, name) -> pd.DataFrame:
    """The last ``input_length`` rows (of series ``name``; None: the one series), refused
    when too few or holding a missing value."""
    length, label = record["input_length"], "" if name is None else f" (series {name})"
    if len(rows) < length:
        raise InputMismatchError(
            f"{where}{label} hold {len(rows)} row(s) at step '{record['frequency']}' after "
            f"ingestion, but the model reads windows of {length}: give at least {length} "
            f"steps of data."
        )
    tail = rows.iloc[-length:]
    missing = tail.drop(columns=[SERIES], errors="ignore").isna()
    if missing.to_numpy().any():
        column = missing.any().idxmax()
        at = tail.index[int(np.argmax(missing[column].to_numpy()))]
        raise InputMismatchError(
            f"{where}{label}: column '{column}' is missing at {at}, inside the last "
            f"{length} steps the model reads (a gap longer than 'ingestion.missing.max_gap'). "
            f"Give complete data up to the end."
        )
    return tail


def _trained_series_codes(series: pd.DataFrame, scaler: dict, where: str):
    """The frame with its series codes turned into the training run's (the series one
    after another in that order, as the scaler reads them), and the trained names."""
    trained = (scaler.get("series") or {}).get("names") or []
    new = [name for name, _ in series.attrs.get("series") or []]
    if not trained:
        return series, []
    unknown = [name for name in new if name not in trained]
    if unknown:
        raise InputMismatchError(
            f"{where} hold series {unknown} that the model was not trained on (it knows "
            f"{trained}): their scaler and identity are unknown. Remove them."
        )
    lookup = np.array([trained.index(name) for name in new], np.float32)
    codes = lookup[series[SERIES].to_numpy().astype(int)]
    in_code_order = np.argsort(codes, kind="stable")  # one block per series, as trained
    return series.assign(**{SERIES: codes}).iloc[in_code_order], trained


def _trained_category_codes(series: pd.DataFrame, scaler: dict) -> tuple[pd.DataFrame, dict]:
    """The frame with each categorical column's codes (into the new data's own vocabulary,
    ``series.attrs['categories']``) turned into codes of the training run's vocabulary, and
    the scaler whose vocabularies are extended by the categories it never read. A category
    the train split never held is then 'other' (or an error, as the training run said)."""
    categorical = scaler.get("categorical")
    if not categorical:
        return series, scaler
    new_vocabularies = series.attrs.get("categories") or {}
    columns, recoded = {}, {}
    for column, learned in categorical["columns"].items():
        vocabulary = list(learned["vocabulary"])
        new = new_vocabularies.get(column, [])
        vocabulary += [name for name in new if name not in vocabulary]
        lookup = np.array([vocabulary.index(name) for name in new], np.float32)
        codes = series[column].to_numpy()
        present = ~np.isnan(codes)
        recoded[column] = np.full(len(codes), np.nan, np.float32)
        recoded[column][present] = lookup[codes[present].astype(int)]
        columns[column] = {**learned, "vocabulary": vocabulary}
    fitted = {**scaler, "categorical": {**categorical, "columns": columns}}
    return series.assign(**recoded), fitted
