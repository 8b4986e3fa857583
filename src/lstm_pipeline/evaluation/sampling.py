"""Small samples of the test forecasts for the plots, kept while the blocks stream past.

- a few windows spread evenly over the test split (actual, every forecaster, a quantile
  head's levels, and the window's input history, read back from the test shards);
- the one-step-ahead forecast of the first ``one_step_points`` windows;
- a random sample of the model's residuals (about ``residual_sample`` of them).
"""

import numpy as np

from lstm_pipeline.evaluation.baselines import target_feature_index
from lstm_pipeline.evaluation.many import window_series
from lstm_pipeline.evaluation.quantiles import level_key
from lstm_pipeline.evaluation.table import ForecastBlock


class SampleCollector:
    """Feed it every :class:`ForecastBlock` in order, then call :meth:`samples`."""

    def __init__(
        self,
        total_windows: int,
        values_per_window: int,
        sample_windows: int,
        one_step_points: int,
        residual_sample: int,
        seed: int = 0,
    ) -> None:
        spread = np.linspace(0, total_windows - 1, sample_windows).astype(int)
        self.picks: list[int] = sorted(set(spread.tolist())) if total_windows else []
        self.one_step_points = one_step_points
        self.windows: list[dict] = []
        self.one_step: dict[str, list] = {"end_ns": [], "actual": [], "predicted": []}
        self._residuals: list[np.ndarray] = []
        self._rng = np.random.default_rng(seed)
        self._keep = min(1.0, residual_sample / max(1, total_windows * values_per_window))

    def update(self, block: ForecastBlock) -> None:
        """Keep what the plots need from ``block``."""
        for index in self.picks:
            if block.first <= index < block.first + len(block):
                self.windows.append(_window(block, index - block.first))
        room = self.one_step_points - len(self.one_step["end_ns"])
        if room > 0:
            self.one_step["end_ns"].extend(block.ends[:room].tolist())
            self.one_step["actual"].extend(block.actual[:room, 0].tolist())
            self.one_step["predicted"].extend(block.forecasts["model"][:room, 0].tolist())
        residual = (block.forecasts["model"] - block.actual).ravel()
        self._residuals.append(residual[self._rng.random(residual.size) < self._keep])

    def samples(self, targets: list[str], histories: dict[int, list]) -> dict:
        """The JSON-ready samples; ``histories`` maps a picked window to its inputs."""
        for index, window in zip(self.picks, self.windows, strict=True):
            window["history"] = histories[index]
        residuals = np.concatenate(self._residuals) if self._residuals else np.empty(0)
        return {
            "targets": list(targets),
            "windows": self.windows,
            "one_step": self.one_step,
            "residuals": residuals[np.isfinite(residuals)].tolist(),
        }


def _window(block: ForecastBlock, row: int) -> dict:
    window = {
        "end_ns": int(block.ends[row]),
        "actual": block.actual[row].tolist(),
        **{name: forecast[row].tolist() for name, forecast in block.forecasts.items()},
    }
    if block.quantiles:  # the band of forecast_windows.png: every level, median included
        levels = block.quantile_forecasts().items()
        window["quantiles"] = {level_key(q): forecast[row].tolist() for q, forecast in levels}
    return window


def window_histories(shards, picks: list[int], batch_size: int, scaler, targets) -> dict:
    """The target inputs (original units) of the windows numbered ``picks``, read from the
    test shards in the same order as the predictions: window number -> (input_length,
    targets) list."""
    from lstm_pipeline.windows.reader import make_dataset, named_shard_errors, past_inputs

    if not picks:
        return {}
    m = shards.manifest
    target_inputs = target_feature_index(list(m.feature_columns), list(targets))
    names = window_series(shards)  # many series: each window in its own series' units
    histories, first = {}, 0
    with named_shard_errors():
        for inputs, _ in make_dataset(shards, batch_size, shuffle=False):
            values = past_inputs(inputs).numpy()[:, :, target_inputs]
            for index in (i for i in picks if first <= i < first + len(values)):
                own = scaler.for_series(names[index]) if names is not None else scaler
                histories[index] = own.inverse_transform(values[index - first], targets).tolist()
            first += len(values)
            if first > picks[-1]:
                break
    return histories
