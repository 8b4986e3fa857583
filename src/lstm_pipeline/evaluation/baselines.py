"""Naive forecasts computed from the very windows the model sees.

For a window whose last input step is u, horizon step k (0-based) targets u + d with
d = 1 + offset + k. Persistence repeats the last observed value y[u]. Drift extends the line
through y[u - lag] and y[u]: y[u] + d * (y[u] - y[u - lag]) / lag. The train mean is a
constant. Seasonal naive reads further back than the window: see
:mod:`lstm_pipeline.evaluation.history`. None reads a value after the forecast origin u.
"""

import numpy as np

from lstm_pipeline.errors import ModelSpecError


def persistence(inputs: np.ndarray, target_features: list[int], horizon: int) -> np.ndarray:
    """(windows, horizon, targets): the last observed target value, repeated."""
    last = inputs[:, -1, target_features]
    return np.repeat(last[:, None, :], horizon, axis=1)


def check_drift_lag(input_length: int, lag: int) -> None:
    """Raises :class:`ModelSpecError` when the drift's ``lag`` reaches before the window."""
    if not 1 <= lag <= input_length - 1:
        raise ModelSpecError(
            f"evaluation.drift_lag {lag}: the drift baseline draws its line through the "
            f"value {lag} steps before the last input, so it must be between 1 and "
            f"windowing.input_length - 1 = {input_length - 1}."
        )


def drift(inputs: np.ndarray, target_features: list[int], steps: np.ndarray, lag: int):
    """(windows, horizon, targets): the line through the values ``lag`` steps apart at the
    window's end, extended ``steps`` (d of each horizon step) ahead."""
    last = inputs[:, -1, target_features]
    slope = (last - inputs[:, -1 - lag, target_features]) / lag
    return last[:, None, :] + steps[None, :, None] * slope[:, None, :]


def target_feature_index(feature_columns: list[str], target_columns: list[str]) -> list[int]:
    """Position of each target among the input features.

    Raises:
        ModelSpecError: a target is not an input feature (the baselines need its past).
    """
    absent = [t for t in target_columns if t not in feature_columns]
    if absent:
        raise ModelSpecError(
            f"The naive baselines read past target values from the inputs, but targets "
            f"{absent} are not among windowing.features {feature_columns}: add them."
        )
    return [feature_columns.index(t) for t in target_columns]
