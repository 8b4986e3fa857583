"""The kedro-viz previews, without kedro-viz: the report rendered, the model's layer table,
every plot behind one menu, and the forecast plots that feed them."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from pydantic import ValidationError

from lstm_pipeline.datasets import KerasModelDataset, MarkdownDataset
from lstm_pipeline.datasets.markdown import markdown_html
from lstm_pipeline.datasets.plot_menu import figure_menu
from lstm_pipeline.evaluation.plots import (
    PlotInputs,
    forecast_windows_plotly,
    residuals_plotly,
)
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams

REPORT = """# Evaluation report

Text with `code` and **bold**.

| forecaster | MAE |
|---|---|
| model | 0.44 |
| persistence | 0.68 |

- [Learning curves](plots/learning_curves.png)
- [Kedro](https://kedro.org)
- ![diagram](plots/diagram.png)

<script>alert("raw html")</script>
<!-- lineage: {"stage": "evaluation"} -->
"""


def test_markdown_renders_tables_and_keeps_no_raw_html():
    html = markdown_html(REPORT)
    assert "<h1>Evaluation report</h1>" in html
    assert "<code>code</code>" in html and "<strong>bold</strong>" in html
    assert html.count("<tr>") == 3 and "<td>persistence</td>" in html
    assert "<script" not in html and "alert" not in html and "lineage" not in html
    # a file beside the report does not resolve inside kedro-viz: its path is shown instead
    assert "Learning curves (plots/learning_curves.png)" in html
    assert "diagram (plots/diagram.png)" in html and "<img" not in html
    assert '<a href="https://kedro.org">Kedro</a>' in html


def test_the_markdown_dataset_saves_text_and_previews_html(tmp_path):
    dataset = MarkdownDataset(filepath=str(tmp_path / "report.md"))
    dataset.save(REPORT)
    assert dataset.load() == REPORT
    assert dataset.preview() == markdown_html(REPORT)


def figure_json(title: str, *traces: dict) -> dict:
    figure = go.Figure(layout={"title": title, "xaxis_title": f"{title} x"})
    for trace in traces:
        figure.add_scatter(**trace)
    return json.loads(figure.to_json())


def test_a_plot_menu_shows_one_figure_at_a_time():
    figures = {
        "loss": figure_json("Loss", {"y": [3, 2, 1], "name": "train"}),
        "windows": figure_json(
            "Windows",
            {"y": [1, 2], "name": "first"},
            {"y": [2, 1], "name": "second", "visible": "legendonly"},
        ),
        "errors": figure_json("Errors", {"y": [0.5, 0.4], "name": "mae"}),
    }
    menu = figure_menu(figures)
    assert [t["name"] for t in menu["data"]] == ["train", "first", "second", "mae"]
    assert [(t["xaxis"], t["yaxis"]) for t in menu["data"]] == [
        ("x", "y"),
        ("x2", "y2"),
        ("x2", "y2"),
        ("x3", "y3"),
    ]
    assert [t["visible"] for t in menu["data"]] == [True, False, False, False]
    layout = menu["layout"]
    assert layout["xaxis2"]["overlaying"] == "x" and layout["yaxis3"]["overlaying"] == "y"
    assert layout["xaxis3"]["title"]["text"] == "Errors x"
    assert [layout[f"xaxis{s}"]["visible"] for s in ("", "2", "3")] == [True, False, False]
    buttons = layout["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["Loss", "Windows", "Errors"]
    traces, axes = buttons[1]["args"]
    # the chosen figure's traces keep their own setting: the second window stays a click away
    assert traces["visible"] == [False, True, "legendonly", False]
    assert axes["title.text"] == "Windows"
    assert (axes["xaxis.visible"], axes["xaxis2.visible"], axes["yaxis3.visible"]) == (
        False,
        True,
        False,
    )


def test_a_plot_menu_refuses_a_subplot_grid():
    grid = {"data": [{"type": "scatter", "y": [1], "xaxis": "x2", "yaxis": "y2"}]}
    with pytest.raises(ValueError, match="Plot 'grid' draws on axes"):
        figure_menu({"grid": grid})
    assert figure_menu({}) == {"data": [], "layout": {}}


def window(end_ns: int, offset: float) -> dict:
    rows = lambda n, start: [[start + step] for step in range(n)]  # noqa: E731
    return {
        "end_ns": end_ns,
        "history": rows(8, offset),
        "actual": rows(3, offset + 8),
        "model": rows(3, offset + 8.5),
        "persistence": rows(3, offset + 7),
        "seasonal_naive": rows(3, offset + 6),
    }


def plot_inputs(**samples) -> PlotInputs:
    return PlotInputs({"units": {"load": "kW"}}, {"targets": ["load"], **samples}, {})


def test_the_forecast_twin_draws_one_window_and_lists_the_others():
    starts = [1_600_000_000_000_000_000 + day * 86_400_000_000_000 for day in range(3)]
    windows = [window(end, 10.0 * number) for number, end in enumerate(starts)]
    figure = forecast_windows_plotly(plot_inputs(windows=windows))
    groups = {}
    for trace in figure.data:
        groups.setdefault(trace.legendgroup, []).append(trace)
    assert list(groups) == ["0", "1", "2"]
    for number, traces in groups.items():
        names = [t.name for t in traces]
        assert names == ["inputs", "actual", "model", "persistence", "seasonal_naive"]
        assert {t.visible for t in traces} == ({True} if number == "0" else {"legendonly"})
        inputs = traces[0]
        assert list(inputs.x) == list(range(-7, 1)) and inputs.y[0] == 10.0 * int(number)
        assert list(traces[1].x) == [1, 2, 3]
    assert groups["1"][0].legendgrouptitle.text.startswith("window ending 2020-09-14")
    assert all(t.line.color.startswith("#") for t in figure.data)  # Plotly colours


def test_the_residuals_twin_holds_the_histogram_not_the_sample():
    residuals = np.random.default_rng(0).normal(size=5_000).tolist()
    figure = residuals_plotly(plot_inputs(residuals=residuals))
    counts, edges = np.histogram(residuals, bins=80)
    (bars,) = figure.data
    assert list(bars.y) == counts.tolist() and sum(bars.y) == 5_000
    assert np.allclose(bars.x, (edges[:-1] + edges[1:]) / 2)
    assert len(figure.to_json()) < 20_000  # the 5,000 values are not in it


def test_more_forecast_panels_than_are_readable_are_refused():
    assert EvaluationParams(sample_windows=8).sample_windows == 8
    with pytest.raises(ValidationError, match="sample_windows"):
        EvaluationParams(sample_windows=9)


def test_the_model_preview_counts_each_layers_parameters(tmp_path):
    import keras

    inputs = keras.Input(shape=(10, 3))
    recurrent = keras.layers.LSTM(4, name="lstm")(inputs)
    outputs = keras.layers.Dense(2, name="head")(recurrent)
    dataset = KerasModelDataset(str(tmp_path / "model.keras"))
    dataset.save(keras.Model(inputs, outputs))
    table = dataset.preview()
    # an LSTM has 4 gates of units x (inputs + units) weights and units biases each
    lstm = 4 * (4 * (3 + 4) + 4)
    dense = 4 * 2 + 2
    assert table["columns"] == ["layer", "type", "output shape", "parameters"]
    assert table["data"] == [
        ["lstm", "LSTM", "(None, 4)", lstm],
        ["head", "Dense", "(None, 2)", dense],
        ["total", "", "", lstm + dense],
    ]
    assert table["index"] == [0, 1, 2]
