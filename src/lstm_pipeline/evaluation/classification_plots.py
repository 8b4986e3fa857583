"""Classification figures: matplotlib for PNG files, Plotly twins for kedro-viz previews.

:data:`PLOTS` is the one list of classification plots (the files of the grouped
``evaluation_plots`` output and the report's links): the model's confusion matrix, the
training history (loss and accuracy per epoch), recall per class for the model and each
baseline, and the histogram of the probability the model gives the true class.

    >>> figures = draw_all(metrics, samples, training_history["history"])
    >>> png, interactive = figures["confusion_matrix"]
"""

import matplotlib

matplotlib.use("Agg")  # headless: Kedro runs have no display
import matplotlib.pyplot as plt
import numpy as np

from lstm_pipeline.evaluation.plots import Plot, PlotInputs, plotly_figure


def _recall_lines(metrics: dict) -> dict[str, list]:
    """Recall per class (None -> nan) of the model and each baseline, in class order."""
    scored = {"model": metrics["model"], **metrics["baselines"]}
    return {
        name: [result["per_class"][c]["recall"] for c in metrics["classes"]]
        for name, result in scored.items()
    }


def _matrix(metrics: dict) -> tuple[np.ndarray, list[str]]:
    confusion = metrics["model"]["confusion_matrix"]
    return np.asarray(confusion["rows_actual_columns_predicted"]), confusion["labels"]


# --- matplotlib (PNG) ----------------------------------------------------------------------


def confusion_matrix(data: PlotInputs):
    """The model's confusion matrix on the test split (rows actual, columns predicted)."""
    matrix, labels = _matrix(data.metrics)
    size = 3 + 0.45 * len(labels)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axis.set_yticks(range(len(labels)), labels)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, column), value in np.ndenumerate(matrix):
        colour = "white" if value > threshold else "black"
        axis.text(column, row, str(value), ha="center", va="center", color=colour)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("actual class")
    axis.set_title(f"Confusion matrix ({int(matrix.sum())} test cases)")
    figure.colorbar(image)
    figure.tight_layout()
    return figure


def training_history(data: PlotInputs):
    """Loss and accuracy per epoch, train and validation (when there is a val split)."""
    history = data.history
    epochs = history.get("epoch") or list(range(1, len(history.get("loss", [])) + 1))
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key, label in ((metric, "train"), (f"val_{metric}", "validation")):
            if history.get(key):
                axis.plot(epochs[: len(history[key])], history[key], marker=".", label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    axes[0].set_title("Loss (sparse categorical cross-entropy)")
    axes[1].set_title("Accuracy")
    figure.tight_layout()
    return figure


def per_class_recall(data: PlotInputs):
    """Recall per class: the model beside each baseline (a missing bar: class not in test)."""
    lines, classes = _recall_lines(data.metrics), data.metrics["classes"]
    width = 0.8 / len(lines)
    figure, axis = plt.subplots(figsize=(max(6, 1.2 * len(classes) + 3), 4))
    for number, (name, recall) in enumerate(lines.items()):
        positions = np.arange(len(classes)) + (number - (len(lines) - 1) / 2) * width
        axis.bar(positions, np.asarray(recall, dtype=float), width, label=name)
    axis.set_xticks(range(len(classes)), classes)
    axis.set_ylim(0, 1.2)
    axis.set_xlabel("class")
    axis.set_ylabel("recall on the test split")
    axis.set_title("Recall per class")
    axis.legend(fontsize=8, ncol=len(lines), loc="upper center")
    figure.tight_layout()
    return figure


def true_class_probability(data: PlotInputs):
    """Histogram of the probability the model gives each test case's true class."""
    values = np.asarray(data.samples["true_class_probability"], dtype=float)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(values, bins=np.linspace(0, 1, 21), color="tab:blue", alpha=0.85)
    axis.axvline(1 / max(1, len(data.metrics["classes"])), color="grey", lw=0.8, ls="--")
    axis.set_xlabel("model probability of the true class (dashed: 1 / classes)")
    axis.set_ylabel("test cases")
    axis.set_title(f"Probability of the true class ({len(values)} test cases)")
    figure.tight_layout()
    return figure


# --- Plotly twins (kedro-viz previews) ---------------------------------------------------


def confusion_matrix_plotly(data: PlotInputs):
    """Plotly twin of :func:`confusion_matrix`."""
    matrix, labels = _matrix(data.metrics)
    figure = plotly_figure("Confusion matrix", "predicted class", "actual class")
    figure.add_heatmap(
        z=matrix.tolist(), x=labels, y=labels, colorscale="Blues", texttemplate="%{z}"
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category")
    return figure


def training_history_plotly(data: PlotInputs):
    """Plotly twin of :func:`training_history` (loss and accuracy on one axis)."""
    history = data.history
    figure = plotly_figure("Training history", "epoch", "loss / accuracy")
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        if history.get(key):
            epochs = history.get("epoch") or list(range(1, len(history[key]) + 1))
            figure.add_scatter(x=epochs, y=history[key], name=key)
    return figure


def per_class_recall_plotly(data: PlotInputs):
    """Plotly twin of :func:`per_class_recall`."""
    figure = plotly_figure("Recall per class", "class", "recall on the test split")
    for name, recall in _recall_lines(data.metrics).items():
        figure.add_bar(x=data.metrics["classes"], y=recall, name=name)
    figure.update_layout(barmode="group")
    return figure


def true_class_probability_plotly(data: PlotInputs):
    """Plotly twin of :func:`true_class_probability`."""
    title, x_title = "Probability of the true class", "model probability of the true class"
    figure = plotly_figure(title, x_title, "test cases")
    figure.add_histogram(
        x=data.samples["true_class_probability"], xbins={"start": 0, "end": 1, "size": 0.05}
    )
    return figure


PLOTS: dict[str, Plot] = {
    "confusion_matrix": Plot("Confusion matrix", confusion_matrix, confusion_matrix_plotly),
    "training_history": Plot("Training history", training_history, training_history_plotly),
    "per_class_recall": Plot("Recall per class", per_class_recall, per_class_recall_plotly),
    "true_class_probability": Plot(
        "Probability of the true class", true_class_probability, true_class_probability_plotly
    ),
}


def draw_all(metrics: dict, samples: dict, history: dict) -> dict[str, tuple]:
    """Every plot of :data:`PLOTS`: name -> (matplotlib figure, Plotly figure)."""
    data = PlotInputs(metrics, samples, history)
    return {name: (plot.png(data), plot.plotly(data)) for name, plot in PLOTS.items()}
