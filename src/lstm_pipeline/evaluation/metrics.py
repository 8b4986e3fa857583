"""Forecast error metrics accumulated batch by batch (a split is never whole in memory).

Per target and horizon step: MAE, RMSE, MAPE (zero actuals excluded and counted), sMAPE
(pairs where actual and forecast are both zero excluded) and MASE (MAE over the in-sample
seasonal-naive MAE of the train split).
"""

import numpy as np


class ForecastErrors:
    """Running sums for forecasts of shape (windows, horizon, targets)."""

    def __init__(self, horizon: int, targets: int, zero_tolerance=0.0) -> None:
        # values are stored scaled in float32: a true zero comes back as about +-1e-6 after
        # the inverse transform, so "zero" means within this tolerance (per target)
        self.zero_tolerance = np.broadcast_to(np.asarray(zero_tolerance, np.float64), (targets,))
        shape = (horizon, targets)
        self.count = np.zeros(shape, np.int64)
        self.abs_sum = np.zeros(shape)
        self.sq_sum = np.zeros(shape)
        self.ape_sum = np.zeros(shape)
        self.ape_count = np.zeros(shape, np.int64)
        self.zero_actuals = np.zeros(shape, np.int64)
        self.sape_sum = np.zeros(shape)
        self.sape_count = np.zeros(shape, np.int64)

    def update(self, actual: np.ndarray, forecast: np.ndarray) -> None:
        """Add one block of (windows, horizon, targets) actuals and forecasts, in float64;
        pairs with a missing value are left out."""
        actual, forecast = np.asarray(actual, np.float64), np.asarray(forecast, np.float64)
        error = forecast - actual
        valid = np.isfinite(error)
        error = np.where(valid, error, 0.0)
        self.count += valid.sum(axis=0)
        self.abs_sum += np.abs(error).sum(axis=0)
        self.sq_sum += (error**2).sum(axis=0)
        zero = np.abs(actual) <= self.zero_tolerance
        nonzero = valid & ~zero
        self.zero_actuals += (valid & zero).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.where(nonzero, np.abs(error) / np.abs(actual), 0.0)
            denominator = np.abs(actual) + np.abs(forecast)
            both = valid & (denominator > 0)
            sape = np.where(both, 2 * np.abs(error) / denominator, 0.0)
        self.ape_sum += ape.sum(axis=0)
        self.ape_count += nonzero.sum(axis=0)
        self.sape_sum += sape.sum(axis=0)
        self.sape_count += both.sum(axis=0)

    def summary(self, mase_scale: np.ndarray, axis=None) -> dict:
        """Metrics over ``axis`` (None: everything; 0: per target; 1: per horizon step)."""

        def total(values):
            return values.sum() if axis is None else values.sum(axis=axis)

        count = total(self.count)
        with np.errstate(divide="ignore", invalid="ignore"):
            mae = total(self.abs_sum) / count
            scaled = total(self.abs_sum / mase_scale[None, :]) / count
            result = {
                "mae": mae,
                "rmse": np.sqrt(total(self.sq_sum) / count),
                "mape": total(self.ape_sum) / total(self.ape_count),
                "smape": total(self.sape_sum) / total(self.sape_count),
                "mase": scaled,
                "count": count,
                "zero_actuals_excluded_from_mape": total(self.zero_actuals),
            }
        return {k: _plain(v) for k, v in result.items()}


def _plain(value):
    value = np.asarray(value)
    if value.ndim == 0:
        number = value.item()
        return None if isinstance(number, float) and not np.isfinite(number) else number
    return [_plain(v) for v in value]


def seasonal_naive_scale(values: np.ndarray, period: int) -> tuple[float, int]:
    """(sum of |y_t - y_{t-period}|, count) over one chunk; NaN pairs skipped."""
    values = np.asarray(values, np.float64)
    if len(values) <= period:
        return 0.0, 0
    differences = np.abs(values[period:] - values[:-period])
    valid = np.isfinite(differences)
    return float(differences[valid].sum()), int(valid.sum())
