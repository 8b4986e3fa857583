"""The target's whole history (train, validation and test rows) on one time axis, so that a
baseline can look further back than the model's input window: a year-ago forecast of hourly
data reads 8760 steps back, though the model sees a week.

Seasonal naive for a window whose last input step is u and horizon step d (1 + offset + k)
copies y[u + d - lag * ceil(d / lag)]: the value a whole number of seasons earlier, never
after the origin u. Where the horizon is longer than the lag, the last observed season
repeats (the airline protocol: 36 months forecast from the last 12).

    >>> history = TargetHistory([train, val, test], ["Passengers"])
    >>> forecast = history.seasonal_naive(window_ends_ns, steps=np.arange(1, 37), lag=12)
"""

from collections.abc import Sequence

import numpy as np

from lstm_pipeline.errors import ModelSpecError


class TargetHistory:
    """Target values of ``sources`` (splits in time order, one grid) by grid position;
    NaN where a row is missing or was dropped. Memory: targets x steps float32."""

    def __init__(self, sources: Sequence, targets: Sequence[str]) -> None:
        sources = [s for s in sources if s.num_rows]
        self.grid = sources[0].grid
        stamps, values = _read(sources, list(targets))
        self.origin_ns = int(stamps[0])
        positions = self.grid.positions(stamps, self.origin_ns)
        self.values = np.full((int(positions[-1]) + 1, len(targets)), np.nan, np.float32)
        self.values[positions] = values

    def seasonal_naive(self, ends_ns: np.ndarray, steps: np.ndarray, lag: int) -> np.ndarray:
        """(windows, horizon, targets): for windows ending at ``ends_ns``, each horizon step
        ``steps`` (d) copies the value ``lag * ceil(d / lag)`` steps before it."""
        origins = self.grid.positions(np.asarray(ends_ns, np.int64), self.origin_ns)
        back = lag * np.ceil(steps / lag).astype(np.int64) - steps  # >= 0: never past u
        sources = origins[:, None] - back[None, :]
        if len(sources) and sources.min() < 0:
            first = int(np.flatnonzero((sources < 0).any(axis=1))[0])
            raise ModelSpecError(
                f"evaluation.seasonal_period {lag} reaches before the series for test "
                f"window {first}: the series starts {int(origins[first])} steps before it"
            )
        return self.values[sources]


def check_seasonal_history(steps_before_first_target: int, lag: int, where: str) -> None:
    """Raises :class:`ModelSpecError` when the first test target has fewer than ``lag``
    steps of series before it, so seasonal naive could not forecast it."""
    if steps_before_first_target < lag:
        raise ModelSpecError(
            f"evaluation.seasonal_period {lag}: seasonal naive copies the value {lag} steps "
            f"before each target, but {where} has only {steps_before_first_target} steps "
            f"of series before its first test target. Lower the period, or move the test "
            f"split later (normalisation.split)."
        )


def _read(sources: Sequence, targets: list[str]) -> tuple[np.ndarray, np.ndarray]:
    stamps, values = [], []
    for source in sources:
        for batch_stamps, batch_values in source.batches(targets):
            stamps.append(batch_stamps)
            values.append(batch_values)
    return np.concatenate(stamps), np.concatenate(values)
