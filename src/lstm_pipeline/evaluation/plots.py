"""Forecast figures a person looks at: matplotlib for PNG files, Plotly twins for kedro-viz
previews (classification: :mod:`lstm_pipeline.evaluation.classification_plots`).

:data:`PLOTS` is the one list of forecast plots: its names are the files of the grouped
``evaluation_plots`` output (``plots/{name}.png``, ``plots/{name}.plotly.json``) and the
report's links. Values are in the targets' units (``metrics["units"]``), e.g. "MAE (kW)".

    >>> figures = draw_all(metrics, samples, training_history["history"])
    >>> png, interactive = figures["error_by_horizon"]
"""

from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless: Kedro runs have no display
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lstm_pipeline.evaluation.quantiles import interval_pairs
from lstm_pipeline.evaluation.units import shared_unit_label, unit_label
from lstm_pipeline.timegrid import TimeGrid

COLOURS = {
    "actual": "black",
    "model": "tab:blue",
    "persistence": "tab:orange",
    "seasonal_naive": "tab:green",
    "drift": "tab:purple",
    "train_mean": "tab:grey",
}
# the evaluation_plots folder, beside report.md (conf/base/catalog.yml): the report links into it
PLOTS_FOLDER = "plots"
WINDOW_LINES = ("model", "persistence", "seasonal_naive")  # forecasts drawn per test window


@dataclass(frozen=True)
class PlotInputs:
    """What every plot draws from: the metrics, the samples and the training history."""

    metrics: dict
    samples: dict
    history: dict

    @property
    def units(self) -> dict:
        """Target -> unit label, as metrics.json holds it ({} for older metrics files)."""
        units = self.metrics.get("units")
        return units if isinstance(units, dict) else {}

    def value_label(self, target: int = 0) -> str:
        """'<target> (<unit>)' for an axis of values of one target."""
        name = self.samples["targets"][target]
        return f"{name} ({unit_label(self.units, name)})"

    def steps_label(self, after: str) -> str:
        """'months from the last input' (the series' step; 'steps' when unknown)."""
        frequency = self.metrics.get("frequency")
        return f"{TimeGrid(frequency).step_name() if frequency else 'steps'} {after}"

    def stamp(self, stamp_ns: int) -> str:
        """A window's end as precise as the step needs ('1957-12' for months)."""
        frequency = self.metrics.get("frequency")
        return (
            TimeGrid(frequency).stamp_text(stamp_ns) if frequency else str(pd.Timestamp(stamp_ns))
        )

    def pooled_unit(self) -> str:
        """The unit of quantities pooled over every target (errors, residuals)."""
        return shared_unit_label(self.units, self.samples["targets"])


def _lines(metrics: dict) -> dict:
    return {"model": metrics["model"], **metrics["baselines"]}


# --- matplotlib (PNG) ----------------------------------------------------------------------


def learning_curves(data: PlotInputs):
    """Train and validation loss per epoch (normalised units); the training loss alone
    for a run without validation."""
    history = data.history
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = history.get("epoch", [])
    axis.plot(epochs, history.get("loss", []), marker="o", label="train loss")
    if history.get("val_loss"):
        axis.plot(epochs, history["val_loss"], marker="o", label="validation loss")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (normalised units)")
    axis.set_title("Learning curves")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def quantile_bands(window: dict, target: int = 0) -> list[tuple]:
    """A sampled window's intervals of a quantile head, outermost first: ((lower level,
    upper level), lower values, upper values); [] for a point forecaster."""
    levels = {float(q): np.asarray(v)[:, target] for q, v in window.get("quantiles", {}).items()}
    return [((lo, hi), levels[lo], levels[hi]) for lo, hi in interval_pairs(list(levels))]


def forecast_windows(data: PlotInputs, target: int = 0):
    """One panel per sampled test window: inputs, actual, the model and two baselines; a
    quantile head's intervals shaded around the model's median (the innermost darkest)."""
    windows = data.samples["windows"]
    rows = max(1, len(windows))
    figure, axes = plt.subplots(rows, 1, figsize=(10, 2.6 * rows), squeeze=False)
    for axis, window in zip(axes[:, 0], windows, strict=False):
        history = np.asarray(window["history"])[:, target]
        future = np.arange(1, len(window["actual"]) + 1)
        axis.plot(np.arange(-len(history) + 1, 1), history, color="black", lw=1, label="inputs")
        actual = np.asarray(window["actual"])[:, target]
        axis.plot(future, actual, color=COLOURS["actual"], lw=2, label="actual")
        for name in WINDOW_LINES:
            forecast = np.asarray(window[name])[:, target]
            axis.plot(future, forecast, color=COLOURS[name], lw=1.5, label=name)
        for (lower, upper), low, high in quantile_bands(window, target):
            label = f"model {lower:g}-{upper:g}"
            axis.fill_between(future, low, high, color=COLOURS["model"], alpha=0.15, label=label)
        axis.axvline(0.5, color="grey", lw=0.8)
        axis.set_title(f"window ending {data.stamp(window['end_ns'])}", fontsize=9)
        axis.set_ylabel(data.value_label(target), fontsize=8)
        axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncol=5)
    axes[-1, 0].set_xlabel(data.steps_label("from the last input"))
    figure.suptitle(f"Test windows: {data.samples['targets'][target]}")
    figure.tight_layout()
    return figure


def one_step_series(data: PlotInputs):
    """The one-step-ahead forecast against the actual series, over the first test windows."""
    one = data.samples["one_step"]
    times = pd.to_datetime(one["end_ns"])
    figure, axis = plt.subplots(figsize=(11, 3.8))
    axis.plot(times, np.asarray(one["actual"])[:, 0], color="black", lw=1, label="actual")
    predicted = np.asarray(one["predicted"])[:, 0]
    axis.plot(times, predicted, color=COLOURS["model"], lw=1, label="one step ahead")
    axis.set_title(f"One-step-ahead forecast over the test split: {data.samples['targets'][0]}")
    axis.set_ylabel(data.value_label(0))
    axis.grid(alpha=0.3)
    axis.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def error_by_horizon(data: PlotInputs):
    """MAE per horizon step for the model and each baseline."""
    figure, axis = plt.subplots(figsize=(8, 4))
    for name, result in _lines(data.metrics).items():
        mae = np.asarray(result["per_horizon_step"]["mae"], dtype=float)  # None -> nan
        axis.plot(np.arange(1, len(mae) + 1), mae, marker=".", color=COLOURS[name], label=name)
    axis.set_xlabel(data.steps_label("ahead (horizon step)"))
    axis.set_ylabel(f"MAE ({data.pooled_unit()})")
    axis.set_title("Error by horizon step")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def residual_distribution(data: PlotInputs):
    """Histogram of a random sample of the model's residuals."""
    residuals = np.asarray(data.samples["residuals"])
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(residuals, bins=80, color=COLOURS["model"], alpha=0.8)
    axis.axvline(0, color="black", lw=0.8)
    axis.set_xlabel(f"predicted - actual ({data.pooled_unit()})")
    axis.set_ylabel("count")
    axis.set_title(f"Residuals (sample of {len(residuals):,})")
    figure.tight_layout()
    return figure


# --- Plotly twins (kedro-viz previews) ---------------------------------------------------


def plotly_figure(title: str, x_title: str, y_title: str):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title)
    return figure


def learning_curves_plotly(data: PlotInputs):
    """Plotly twin of :func:`learning_curves`."""
    figure = plotly_figure("Learning curves", "epoch", "loss (normalised units)")
    for key in [k for k in ("loss", "val_loss") if data.history.get(k)]:
        figure.add_scatter(x=data.history.get("epoch", []), y=data.history[key], name=key)
    return figure


def web_colour(line: str) -> str:
    """The line's matplotlib colour ('tab:blue') as Plotly takes it ('#1f77b4'); black as
    grey, which kedro-viz's dark theme does not swallow."""
    colour = matplotlib.colors.to_hex(COLOURS[line])
    return "#8c8c8c" if colour == "#000000" else colour


def forecast_windows_plotly(data: PlotInputs):
    """Plotly twin of :func:`forecast_windows` (first target): one legend group a window,
    the first drawn and the others listed, a click on a group's title away, so the lines of
    different windows never pile up on the shared steps axis."""
    x_label = data.steps_label("from the last input")
    title = f"Test windows: {data.samples['targets'][0]}"
    figure = plotly_figure(title, x_label, data.value_label(0))
    figure.update_layout(legend={"groupclick": "togglegroup"})  # a title click: its window
    for number, window in enumerate(data.samples["windows"]):
        group = {
            "legendgroup": str(number),
            "legendgrouptitle_text": f"window ending {data.stamp(window['end_ns'])}",
            "visible": True if number == 0 else "legendonly",
        }
        _window_traces(figure, window, group)
    return figure


def _window_traces(figure, window: dict, group: dict) -> None:
    """One window's inputs, actual, forecasts and widest quantile band, in ``group``."""
    steps = list(range(1, len(window["actual"]) + 1))
    inputs = [v[0] for v in window["history"]]
    line = {"color": web_colour("actual"), "width": 1}
    figure.add_scatter(
        x=list(range(-len(inputs) + 1, 1)), y=inputs, name="inputs", line=line, **group
    )
    for (lower, upper), low, high in quantile_bands(window)[:1]:  # the widest band
        band = {**group, "line": {"width": 0, "color": web_colour("model")}}
        low_name = f"model {lower:g}"
        figure.add_scatter(x=steps, y=low.tolist(), name=low_name, showlegend=False, **band)
        name = f"model {lower:g}-{upper:g}"
        figure.add_scatter(x=steps, y=high.tolist(), name=name, fill="tonexty", **band)
    for name in ("actual", *WINDOW_LINES):
        width = 2.5 if name == "actual" else 1.5
        figure.add_scatter(
            x=steps,
            y=[v[0] for v in window[name]],
            name=name,
            line={"color": web_colour(name), "width": width},
            **group,
        )


def one_step_plotly(data: PlotInputs):
    """Plotly twin of :func:`one_step_series`."""
    one = data.samples["one_step"]
    times = pd.to_datetime(one["end_ns"]).astype(str).tolist()
    figure = plotly_figure("One step ahead over the test split", "time", data.value_label(0))
    figure.add_scatter(x=times, y=[a[0] for a in one["actual"]], name="actual")
    figure.add_scatter(x=times, y=[p[0] for p in one["predicted"]], name="one step ahead")
    return figure


def error_by_horizon_plotly(data: PlotInputs):
    """Plotly twin of :func:`error_by_horizon`."""
    unit = data.pooled_unit()
    x_label = data.steps_label("ahead (horizon step)")
    figure = plotly_figure("Error by horizon step", x_label, f"MAE ({unit})")
    for name, result in _lines(data.metrics).items():
        mae = result["per_horizon_step"]["mae"]
        figure.add_scatter(x=list(range(1, len(mae) + 1)), y=mae, name=name)
    return figure


def residuals_plotly(data: PlotInputs):
    """Plotly twin of :func:`residual_distribution`."""
    unit = data.pooled_unit()
    figure = plotly_figure("Residuals", f"predicted - actual ({unit})", "count")
    # binned here, as the PNG is: the sample itself would make the JSON (and kedro-viz's
    # preview) megabytes long
    counts, edges = np.histogram(np.asarray(data.samples["residuals"], dtype=float), bins=80)
    centres = (edges[:-1] + edges[1:]) / 2
    figure.add_bar(
        x=centres.tolist(), y=counts.tolist(), width=float(edges[1] - edges[0]), name="residuals"
    )
    return figure


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plot:
    """One evaluation plot: its title (report links) and how to draw each version."""

    title: str
    png: Callable[[PlotInputs], object]
    plotly: Callable[[PlotInputs], object]


PLOTS: dict[str, Plot] = {
    "learning_curves": Plot("Learning curves", learning_curves, learning_curves_plotly),
    "forecast_windows": Plot(
        "Test windows: actual vs predicted", forecast_windows, forecast_windows_plotly
    ),
    "one_step": Plot("One step ahead over the test split", one_step_series, one_step_plotly),
    "error_by_horizon": Plot("Error by horizon step", error_by_horizon, error_by_horizon_plotly),
    "residuals": Plot("Residual distribution", residual_distribution, residuals_plotly),
}
PLOT_NAMES = tuple(PLOTS)


def draw_all(metrics: dict, samples: dict, history: dict) -> dict[str, tuple]:
    """Every plot of :data:`PLOTS`: name -> (matplotlib figure, Plotly figure)."""
    data = PlotInputs(metrics, samples, history)
    return {name: (plot.png(data), plot.plotly(data)) for name, plot in PLOTS.items()}
