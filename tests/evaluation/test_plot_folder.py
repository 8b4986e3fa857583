"""The grouped plot output: a folder of PNGs and Plotly twins saved whole, with its lineage;
a failed or killed save leaves the previous folder as it was."""

import json
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import plotly.graph_objects as go
import pytest
from kedro.io import DatasetError
from PIL import Image

from lstm_pipeline.datasets import PlotFolderDataset
from lstm_pipeline.files import leftovers

LINEAGE = {"stage": "evaluation", "generation": "abc123", "node": "plot_evaluation"}


def figures(*names: str) -> dict:
    made = {}
    for number, name in enumerate(names):
        png, axis = plt.subplots()
        axis.plot([0, 1], [number, number + 1])
        made[name] = (png, go.Figure(go.Scatter(x=[0, 1], y=[number, number + 1], name=name)))
    return made


def folder_bytes(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_round_trip_keeps_the_order_the_files_and_the_lineage(tmp_path):
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    dataset.save({**figures("confusion_matrix", "learning_curves"), "lineage": LINEAGE})
    loaded = dataset.load()
    assert list(loaded) == ["confusion_matrix", "learning_curves", "lineage"]
    assert loaded["lineage"] == LINEAGE
    png = loaded["confusion_matrix"]["png"]
    assert Image.open(png).text["lineage"] == json.dumps(LINEAGE)
    with open(loaded["learning_curves"]["plotly"]) as file:
        interactive = json.load(file)
    assert interactive["layout"]["meta"]["lineage"] == LINEAGE
    assert interactive["data"][0]["y"] == [1, 2]
    assert dataset.preview()["data"][0]["name"] == "confusion_matrix"
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "confusion_matrix.plotly.json",
        "confusion_matrix.png",
        "index.json",
        "learning_curves.plotly.json",
        "learning_curves.png",
    ]


def test_a_new_set_of_plots_replaces_the_old_one_whole(tmp_path):
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    dataset.save(figures("residuals", "one_step"))
    dataset.save(figures("confusion_matrix"))
    assert list(dataset.load()) == ["confusion_matrix"]  # no plot of the older set is left
    assert not (tmp_path / "plots" / "residuals.png").exists()


def test_a_failed_save_leaves_the_previous_folder_untouched(tmp_path):
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    dataset.save(figures("a", "b"))
    before = folder_bytes(tmp_path / "plots")

    class Broken:
        def to_json(self):
            raise OSError("disk full")

    bad = {**figures("a"), "b": (figures("b")["b"][0], Broken())}
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save(bad)
    assert folder_bytes(tmp_path / "plots") == before
    assert leftovers(tmp_path / "plots") == []


def test_a_folder_retired_by_a_killed_swap_is_put_back_on_load(tmp_path):
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    dataset.save(figures("a"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid no longer running: the writer that was killed
    retired = tmp_path / f".plots.old-{child.pid}-0123abcd"
    os.rename(tmp_path / "plots", retired)
    assert dataset.exists()
    assert list(dataset.load()) == ["a"] and not retired.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Bad Name": None}, "lower-case identifiers"),
        ({"a": "not a pair"}, r"\(matplotlib figure, Plotly figure\) pair"),
    ],
)
def test_bad_figures_are_refused_before_anything_is_written(tmp_path, data, message):
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    with pytest.raises(DatasetError, match=message):
        dataset.save(data)
    assert not (tmp_path / "plots").exists()
    with pytest.raises(DatasetError, match="No plots saved"):
        dataset.load()
