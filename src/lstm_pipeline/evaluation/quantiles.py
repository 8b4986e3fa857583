"""Scores of quantile forecasts, accumulated batch by batch like the point metrics.

Per target, in original units: the pinball loss of each level (for level q and error
e = actual - forecast, ``max(q * e, (q - 1) * e)``; the median's is half its MAE), the share
of actuals below each level's forecast (q for a calibrated forecast), and for each interval
between a lower and an upper level (paired from the outside in: 0.1-0.9, then 0.25-0.75)
its nominal coverage (upper - lower), the measured share of actuals inside it and its mean
width.

    >>> scores = QuantileScores([0.1, 0.5, 0.9], n_targets=1)
    >>> scores.update(block.actual, block.quantile_forecasts())
    >>> scores.summary(["load"])["per_target"]["load"]["intervals"]["0.1-0.9"]["coverage"]
"""

from collections.abc import Mapping, Sequence

import numpy as np


def pinball_loss(actual: np.ndarray, forecast: np.ndarray, level: float) -> np.ndarray:
    """The pinball loss of each (actual, forecast) pair at quantile ``level``."""
    error = np.asarray(actual, np.float64) - np.asarray(forecast, np.float64)
    return np.maximum(level * error, (level - 1) * error)


def interval_pairs(levels: Sequence[float]) -> list[tuple[float, float]]:
    """(lower, upper) level pairs from the outside in; the median (middle level) has none."""
    levels = sorted(levels)
    return [(levels[i], levels[-1 - i]) for i in range(len(levels) // 2)]


def level_key(level: float) -> str:
    """A level as a JSON key: 0.1 -> "0.1"."""
    return repr(float(level))


def interval_key(lower: float, upper: float) -> str:
    """An interval as a JSON key: "0.1-0.9"."""
    return f"{level_key(lower)}-{level_key(upper)}"


class QuantileScores:
    """Running sums per level (or interval) and target; feed it blocks of (windows,
    horizon, targets) actuals and every level's forecasts, then call :meth:`summary`."""

    def __init__(self, levels: Sequence[float], n_targets: int) -> None:
        self.levels = sorted(float(q) for q in levels)
        self.pairs = interval_pairs(self.levels)
        self.count = np.zeros(n_targets, np.int64)
        self.pinball_sum = np.zeros((len(self.levels), n_targets))
        self.below = np.zeros((len(self.levels), n_targets), np.int64)
        self.inside = np.zeros((len(self.pairs), n_targets), np.int64)
        self.width_sum = np.zeros((len(self.pairs), n_targets))

    def update(self, actual: np.ndarray, forecasts: Mapping[float, np.ndarray]) -> None:
        """Add a block; a pair whose actual or any level's forecast is missing is left out."""
        if sorted(forecasts) != self.levels:
            raise ValueError(f"expected forecasts of levels {self.levels}, got {sorted(forecasts)}")
        actual = np.asarray(actual, np.float64)
        stacked = np.stack([np.asarray(forecasts[q], np.float64) for q in self.levels])
        valid = np.isfinite(actual) & np.isfinite(stacked).all(axis=0)
        actual, stacked = np.where(valid, actual, 0.0), np.where(valid, stacked, 0.0)
        self.count += valid.sum(axis=(0, 1))
        for i, level in enumerate(self.levels):
            loss = np.where(valid, pinball_loss(actual, stacked[i], level), 0.0)
            self.pinball_sum[i] += loss.sum(axis=(0, 1))
            self.below[i] += (valid & (actual < stacked[i])).sum(axis=(0, 1))
        index = {q: i for i, q in enumerate(self.levels)}
        for j, (lower, upper) in enumerate(self.pairs):
            low, high = stacked[index[lower]], stacked[index[upper]]
            self.inside[j] += (valid & (low <= actual) & (actual <= high)).sum(axis=(0, 1))
            self.width_sum[j] += np.where(valid, high - low, 0.0).sum(axis=(0, 1))

    def summary(self, targets: Sequence[str]) -> dict:
        """The ``quantiles`` entry of metrics.json (JSON-ready; None where nothing counted)."""
        return {
            "levels": self.levels,
            "point_forecast": "the median (0.5): the model's predicted column and point metrics",
            "pinball_loss_definition": "mean of max(q * e, (q - 1) * e), e = actual - forecast, "
            "in the target's unit",
            "per_target": {t: self._target(i) for i, t in enumerate(targets)},
        }

    def _target(self, i: int) -> dict:
        count = self.count[i]

        def share(total) -> float | None:
            return float(total / count) if count else None

        pinball = {level_key(q): share(self.pinball_sum[k, i]) for k, q in enumerate(self.levels)}
        known = [v for v in pinball.values() if v is not None]
        return {
            "count": int(count),
            "pinball_loss": pinball,
            "mean_pinball_loss": float(np.mean(known)) if known else None,
            "fraction_below": {
                level_key(q): share(self.below[k, i]) for k, q in enumerate(self.levels)
            },
            "intervals": {
                interval_key(lower, upper): {
                    "lower": lower,
                    "upper": upper,
                    "nominal": round(upper - lower, 12),
                    "coverage": share(self.inside[j, i]),
                    "mean_width": share(self.width_sum[j, i]),
                }
                for j, (lower, upper) in enumerate(self.pairs)
            },
        }
