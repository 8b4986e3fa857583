"""Figures a person looks at: matplotlib for PNG files, Plotly for kedro-viz previews."""

import matplotlib

matplotlib.use("Agg")  # headless: Kedro runs have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

COLOURS = {
    "actual": "black",
    "model": "tab:blue",
    "persistence": "tab:orange",
    "seasonal_naive": "tab:green",
    "train_mean": "tab:grey",
}


def learning_curves(history: dict):
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = history.get("epoch", [])
    axis.plot(epochs, history.get("loss", []), marker="o", label="train loss")
    axis.plot(epochs, history.get("val_loss", []), marker="o", label="validation loss")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (normalised units)")
    axis.set_title("Learning curves")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def forecast_windows(samples: dict, target: int = 0):
    windows = samples["windows"]
    figure, axes = plt.subplots(
        len(windows), 1, figsize=(10, 2.6 * max(1, len(windows))), squeeze=False
    )
    for axis, window in zip(axes[:, 0], windows, strict=True):
        history = np.asarray(window["history"])[:, target]
        steps = np.arange(-len(history) + 1, 1)
        future = np.arange(1, len(window["actual"]) + 1)
        axis.plot(steps, history, color=COLOURS["actual"], lw=1, label="inputs")
        axis.plot(
            future,
            np.asarray(window["actual"])[:, target],
            color=COLOURS["actual"],
            lw=2,
            label="actual",
        )
        for name in ("model", "persistence", "seasonal_naive"):
            axis.plot(
                future, np.asarray(window[name])[:, target], color=COLOURS[name], lw=1.5, label=name
            )
        axis.axvline(0.5, color="grey", lw=0.8)
        axis.set_title(f"window ending {pd.Timestamp(window['end_ns'])}", fontsize=9)
        axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncol=5)
    axes[-1, 0].set_xlabel("steps from the last input")
    figure.suptitle(f"Test windows: {samples['targets'][target]}")
    figure.tight_layout()
    return figure


def one_step_series(samples: dict):
    one = samples["one_step"]
    times = pd.to_datetime(one["end_ns"])
    figure, axis = plt.subplots(figsize=(11, 3.8))
    axis.plot(times, np.asarray(one["actual"])[:, 0], color="black", lw=1, label="actual")
    axis.plot(
        times,
        np.asarray(one["predicted"])[:, 0],
        color=COLOURS["model"],
        lw=1,
        label="one step ahead",
    )
    axis.set_title(f"One-step-ahead forecast over the test split: {samples['targets'][0]}")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def error_by_horizon(metrics: dict):
    figure, axis = plt.subplots(figsize=(8, 4))
    series = {"model": metrics["model"], **metrics["baselines"]}
    for name, result in series.items():
        mae = result["per_horizon_step"]["mae"]
        axis.plot(np.arange(1, len(mae) + 1), mae, marker=".", color=COLOURS[name], label=name)
    axis.set_xlabel("horizon step")
    axis.set_ylabel("MAE (original units)")
    axis.set_title("Error by horizon step")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def residual_distribution(samples: dict):
    residuals = np.asarray(samples["residuals"])
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(residuals, bins=80, color=COLOURS["model"], alpha=0.8)
    axis.axvline(0, color="black", lw=0.8)
    axis.set_xlabel("predicted - actual (original units)")
    axis.set_ylabel("count")
    axis.set_title(f"Residuals (sample of {len(residuals):,})")
    figure.tight_layout()
    return figure


def confusion_matrix_figure(matrix, labels):
    figure, axis = plt.subplots(figsize=(5, 4.5))
    image = axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels)
    axis.set_yticks(range(len(labels)), labels)
    for (row, column), value in np.ndenumerate(np.asarray(matrix)):
        axis.text(column, row, str(value), ha="center", va="center")
    axis.set_xlabel("predicted")
    axis.set_ylabel("actual")
    figure.colorbar(image)
    figure.tight_layout()
    return figure


def plotly_versions(metrics: dict, samples: dict, history: dict) -> dict:
    """Interactive twins of the PNG plots, for kedro-viz previews: name -> plotly Figure."""
    import plotly.graph_objects as go

    def figure(title, x_title, y_title):
        fig = go.Figure()
        fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title)
        return fig

    curves = figure("Learning curves", "epoch", "loss (normalised units)")
    for key in ("loss", "val_loss"):
        curves.add_scatter(x=history.get("epoch", []), y=history.get(key, []), name=key)

    horizon = figure("Error by horizon step", "horizon step", "MAE (original units)")
    for name, result in {"model": metrics["model"], **metrics["baselines"]}.items():
        mae = result["per_horizon_step"]["mae"]
        horizon.add_scatter(x=list(range(1, len(mae) + 1)), y=mae, name=name)

    one = samples["one_step"]
    times = pd.to_datetime(one["end_ns"]).astype(str).tolist()
    series = figure("One step ahead over the test split", "time", samples["targets"][0])
    series.add_scatter(x=times, y=[a[0] for a in one["actual"]], name="actual")
    series.add_scatter(x=times, y=[p[0] for p in one["predicted"]], name="one step ahead")

    windows = figure("Test windows", "steps from the last input", samples["targets"][0])
    for number, window in enumerate(samples["windows"]):
        steps = list(range(1, len(window["actual"]) + 1))
        for name in ("actual", "model", "persistence", "seasonal_naive"):
            windows.add_scatter(
                x=steps,
                y=[v[0] for v in window[name]],
                name=f"{name} (window {number + 1})",
                legendgroup=str(number),
            )

    residuals = figure("Residuals", "predicted - actual (original units)", "count")
    residuals.add_histogram(x=samples["residuals"], nbinsx=80, name="residuals")
    return {
        "learning_curves": curves,
        "error_by_horizon": horizon,
        "one_step": series,
        "forecast_windows": windows,
        "residuals": residuals,
    }
