"""Forecasts beyond the end of the data: the model on the last window of each series.

The table has one row per series, horizon step and target, in original units:
``window_end`` (the last timestamp of the data), ``horizon_step`` (1-based), ``timestamp``
(the forecast step's own time: ``offset + horizon_step`` steps of the series' frequency
after ``window_end``), ``target``, ``predicted`` (the point forecast; a quantile head's
median), one column per other quantile level (``q0.1``, as in the evaluation's predictions
table) and, for many series, ``series``.

    >>> table = forecast_ahead(model, window, scaler, windowing_record)
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstm_pipeline.evaluation.table import MEDIAN, quantile_column
from lstm_pipeline.ingest.many import SERIES
from lstm_pipeline.models.side import SideInputs
from lstm_pipeline.prediction.checks import InputMismatchError
from lstm_pipeline.scaling.calendar import add_calendar, calendar_columns
from lstm_pipeline.scaling.scaler import Scaler
from lstm_pipeline.timegrid import TimeGrid


def forecast_ahead(
    model, window: pd.DataFrame, scaler: dict, record: dict, batch_size: int = 256
) -> pd.DataFrame:
    """The model's forecast of the steps after each series' last row.

    Args:
        model: the trained Keras model (window inputs, side inputs as it was trained).
        window: :func:`lstm_pipeline.prediction.series.model_window`'s rows.
        scaler: the stored ``scaler.json``. record: the stored ``windowing_record``.
        batch_size: series forecast at a time.

    Raises:
        InputMismatchError: the model reads future values of a column that is not a
            calendar column (unknown beyond the data).
    """
    names = [name for name, _ in window.attrs.get("series") or []] or [None]
    blocks = _series_blocks(window, record["input_length"])
    ends = np.array([block.index[-1].value for block in blocks], np.int64)
    inputs = _model_inputs(blocks, ends, scaler, record)
    output = _predict(model, inputs, batch_size)
    from lstm_pipeline.models.quantiles import quantile_levels

    levels = quantile_levels(model) or []
    by_level = {q: output[..., i] for i, q in enumerate(levels)} if levels else {MEDIAN: output}
    fitted, targets = Scaler(scaler), list(record["target_columns"])
    for level, values in by_level.items():  # each series back to its own original units
        by_level[level] = np.stack(
            [
                fitted.for_series(n).inverse_transform(v, targets)
                for n, v in zip(names, values, strict=True)
            ]
        )
    return _table(ends, by_level, record, names)


def _series_blocks(window: pd.DataFrame, length: int) -> list[pd.DataFrame]:
    """The window's rows cut into one block of ``length`` rows per series."""
    return [window.iloc[start : start + length] for start in range(0, len(window), length)]


def _model_inputs(blocks: list[pd.DataFrame], ends: np.ndarray, scaler: dict, record: dict):
    """The batch the model takes: the windows, and the side inputs it was trained with."""
    features = list(record["feature_columns"])
    values = np.stack([b[features].to_numpy(np.float32) for b in blocks])
    side = SideInputs.from_record(record)
    if not side:
        return values
    inputs = {"inputs": values}
    if side.future:
        inputs["future"] = np.stack([_future_columns(end, scaler, record) for end in ends])
    if side.series:
        inputs["series"] = np.array([int(b[SERIES].iloc[-1]) for b in blocks], np.int32)
    return inputs


def _future_columns(end_ns: int, scaler: dict, record: dict) -> np.ndarray:
    """The future side input after ``end_ns``: calendar columns of the forecast steps (the
    only columns known beyond the data)."""
    calendar = scaler.get("calendar") or []
    wanted = list(record["future_columns"])
    unknown = [c for c in wanted if c not in calendar_columns(calendar)]
    if unknown:
        raise InputMismatchError(
            f"The model reads future values of {unknown} over the horizon (windowing."
            f"future_features), which new data cannot hold beyond its last row; only "
            f"calendar columns can be forecast ahead. Train without them."
        )
    stamps = pd.DatetimeIndex(_forecast_stamps(end_ns, record).astype("datetime64[ns]"))
    return add_calendar(pd.DataFrame(index=stamps), calendar)[wanted].to_numpy(np.float32)


def _forecast_stamps(end_ns: int, record: dict) -> np.ndarray:
    steps = 1 + record["offset"] + np.arange(record["horizon"])
    return TimeGrid(record["frequency"]).advance(int(end_ns), steps)


def _predict(model, inputs, batch_size: int) -> np.ndarray:
    """``model.predict_on_batch`` over ``batch_size`` series at a time, float64."""
    total = len(inputs["inputs"] if isinstance(inputs, dict) else inputs)
    parts = []
    for start in range(0, total, batch_size):
        if isinstance(inputs, dict):
            batch = {key: value[start : start + batch_size] for key, value in inputs.items()}
        else:
            batch = inputs[start : start + batch_size]
        parts.append(np.asarray(model.predict_on_batch(batch), np.float64))
    return np.concatenate(parts)


def _table(ends: np.ndarray, by_level: dict, record: dict, names: Sequence) -> pd.DataFrame:
    """Rows series by series, then step, then target (see the module doc)."""
    targets, horizon = list(record["target_columns"]), record["horizon"]
    n_series, n_targets = len(ends), len(targets)
    per_series = horizon * n_targets
    stamps = np.concatenate([_forecast_stamps(end, record) for end in ends])
    table = {
        "window_end": np.repeat(ends, per_series).astype("datetime64[ns]"),
        "horizon_step": np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), n_series),
        "timestamp": np.repeat(stamps, n_targets).astype("datetime64[ns]"),
        "target": np.tile(np.asarray(targets, dtype=object), n_series * horizon),
        "predicted": by_level[MEDIAN].reshape(-1),
    }
    for level in sorted(q for q in by_level if q != MEDIAN):
        table[quantile_column(level)] = by_level[level].reshape(-1)
    if names != [None]:
        table["series"] = np.repeat(np.asarray(names, dtype=object), per_series)
    frame = pd.DataFrame(table)
    frame["horizon_step"] = frame["horizon_step"].astype(np.int16)
    return frame
