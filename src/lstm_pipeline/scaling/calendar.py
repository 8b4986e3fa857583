"""Calendar features derived from the timestamps: each a sine/cosine pair, so that hour 23
sits next to hour 0 and December next to January. They need no fitting (nothing is learned
from any split) and are already in [-1, 1], so they are added after scaling.

    >>> add_calendar(frame, ["hour_of_day", "day_of_week"])   # hour_of_day_sin, ..._cos, ...
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from lstm_pipeline.errors import SettingsError

CalendarFeature = Literal["hour_of_day", "day_of_week", "day_of_year", "month"]


def _position(index: pd.DatetimeIndex, feature: str) -> tuple[np.ndarray, float]:
    """Where each stamp lies in the feature's cycle, and the cycle's length."""
    if feature == "hour_of_day":
        return index.hour + index.minute / 60, 24.0
    if feature == "day_of_week":
        return index.day_of_week + index.hour / 24, 7.0
    if feature == "day_of_year":
        return index.day_of_year - 1 + index.hour / 24, 365.25
    return index.month - 1 + (index.day - 1) / index.days_in_month, 12.0


def calendar_columns(features: Sequence[str]) -> list[str]:
    """The columns :func:`add_calendar` makes, in order."""
    return [f"{feature}_{part}" for feature in features for part in ("sin", "cos")]


def add_calendar(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """``frame`` with a float32 sine and cosine column per calendar feature."""
    if not features:
        return frame
    columns = {}
    for feature in features:
        position, cycle = _position(frame.index, feature)
        angle = 2 * np.pi * np.asarray(position, np.float64) / cycle
        columns[f"{feature}_sin"] = np.sin(angle).astype(np.float32)
        columns[f"{feature}_cos"] = np.cos(angle).astype(np.float32)
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def check_calendar(train: pd.DataFrame, features: Sequence[str]) -> None:
    """Refuse a feature that does not vary over the train split (hour_of_day on daily
    data): a constant input teaches nothing."""
    derived = add_calendar(train.iloc[: 0 if train.empty else None], features)
    for feature in features:
        if derived[f"{feature}_sin"].nunique() <= 1 and derived[f"{feature}_cos"].nunique() <= 1:
            raise SettingsError(
                f"normalisation.calendar_features names {feature!r}, which is constant over "
                f"the train split ({train.index[0]} to {train.index[-1]}): the series' step "
                f"is too coarse for it. Remove it."
            )
