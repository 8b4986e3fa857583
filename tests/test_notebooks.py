"""The notebooks in notebooks/: each runs cell by cell in a real Jupyter kernel (nbclient)
against a small finished run of each task, draws its plots, and agrees with independent
computations from the raw files and with the run's own records. Committed without outputs."""

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, SLICE

NOTEBOOKS = REPO / "notebooks"
EXPLORE = NOTEBOOKS / "01_explore_data.ipynb"
INSPECT = NOTEBOOKS / "02_inspect_model.ipynb"
UCR_SET = "ItalyPowerDemand"  # the set of the finished_classification_project fixture
UCR_RUN = {"LSTM_PIPELINE_ENV": "ucr", "LSTM_PIPELINE_PARAMS": f"ucr.dataset={UCR_SET}"}

pytestmark = pytest.mark.slow


def execute(notebook: Path, project: Path, monkeypatch, report: str, **variables) -> tuple:
    """Every cell of ``notebook`` run in a fresh kernel started in notebooks/ (as Jupyter
    starts it), the run chosen through the notebook's environment variables; a cell error
    fails the test. Returns the executed notebook and ``report`` (an expression over the
    notebook's variables, evaluated in an extra last cell) read back through JSON."""
    monkeypatch.setenv("LSTM_PIPELINE_PROJECT", str(project))
    for name, value in {"LSTM_PIPELINE_ENV": "local", "LSTM_PIPELINE_PARAMS": ""}.items():
        monkeypatch.setenv(name, variables.get(name, value))
    book = nbformat.read(notebook, as_version=4)
    book.cells.append(
        nbformat.v4.new_code_cell(f"import json\nprint(json.dumps({report}, default=str))")
    )
    client = NotebookClient(
        book, timeout=240, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    printed = "".join(out.text for out in book.cells[-1].outputs if out.get("name") == "stdout")
    return book, json.loads(printed.strip().splitlines()[-1])


def images(book) -> int:
    """How many figures the cells displayed (the inline backend must be active)."""
    return sum(
        "image/png" in output.get("data", {})
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


# --- independent computations --------------------------------------------------------------


def missing_runs_in_csv(path: Path) -> list[list]:
    """[column, length] of every run of missing values ('?') in a raw household CSV, read
    by pandas alone; sorted."""
    frame = pd.read_csv(path, na_values="?").drop(columns=["Date", "Time"])
    runs = []
    for column in frame.columns:
        missing = frame[column].isna()
        run_ids = (missing != missing.shift()).cumsum()[missing]
        runs += [[column, int(size)] for size in run_ids.value_counts().to_numpy()]
    return sorted(runs)


def timestamp_gaps_in_csv(path: Path) -> int:
    frame = pd.read_csv(path, usecols=["Date", "Time"])
    stamps = pd.to_datetime(frame["Date"] + " " + frame["Time"], format="%d/%m/%Y %H:%M:%S")
    return int((stamps.sort_values().diff() > pd.Timedelta(minutes=1)).sum())


def ts_cases(folder: Path) -> pd.DataFrame:
    """(split, label, length) of every case of a univariate .ts pair, parsed as text."""
    rows = []
    for split in ("train", "test"):
        text = (folder / f"{folder.name}_{split.upper()}.ts").read_text()
        data = re.split(r"(?im)^@data\s*$", text)[1]
        for line in filter(None, map(str.strip, data.splitlines())):
            values, label = line.rsplit(":", 1)
            rows.append((split, label.strip(), len(values.split(","))))
    return pd.DataFrame(rows, columns=["split", "label", "length"])


def worst_window_mae(predictions: Path, horizon: int) -> float:
    """The largest per-window MAE of the model, from the file's row order (window by window,
    then horizon step; one target)."""
    table = pq.read_table(predictions, columns=["actual", "predicted"]).to_pandas()
    errors = np.abs(table["predicted"].to_numpy() - table["actual"].to_numpy())
    return float(errors.reshape(-1, horizon).mean(axis=1).max())


# --- the notebooks against the fixture runs --------------------------------------------------


def test_explore_forecast_run(finished_project, monkeypatch):
    book, found = execute(
        EXPLORE,
        finished_project,
        monkeypatch,
        '{"task": task, "runs": stretches[["column", "rows"]].values.tolist(), "gaps": len(gaps)}',
    )
    assert found["task"] == "forecast"
    assert sorted(found["runs"]) == missing_runs_in_csv(SLICE)
    assert found["runs"], "the 14-day slice holds missing values: the table cannot be empty"
    assert found["gaps"] == timestamp_gaps_in_csv(SLICE)
    assert images(book) == 3  # missing per day, cleaned series, the longest stretch


def test_explore_classification_run(finished_classification_project, monkeypatch):
    book, found = execute(
        EXPLORE,
        finished_classification_project,
        monkeypatch,
        '{"task": task, "cases": cases.reset_index().to_dict("records")}',
        **UCR_RUN,
    )
    expected = ts_cases(finished_classification_project / "data" / "01_raw" / "ucr" / UCR_SET)
    shown = pd.DataFrame(found["cases"])[["split", "label", "length"]]
    assert found["task"] == "classification"
    assert shown.value_counts().to_dict() == expected.value_counts().to_dict()
    assert images(book) == 2  # cases per class, lengths


def test_inspect_forecast_run(finished_project, monkeypatch):
    book, found = execute(
        INSPECT,
        finished_project,
        monkeypatch,
        '{"by_step": mae_by_step["model"].tolist(), "worst": float(worst["model"].iloc[0]),'
        ' "params": int(model.count_params())}',
    )
    outputs = finished_project / "data"
    metrics = json.loads((outputs / "08_reporting" / "metrics.json").read_text())
    summary = json.loads((outputs / "08_reporting" / "model_summary.json").read_text())
    horizon = len(metrics["model"]["per_horizon_step"]["mae"])
    assert found["by_step"] == pytest.approx(metrics["model"]["per_horizon_step"]["mae"])
    predictions = outputs / "07_model_output" / "predictions.parquet"
    assert found["worst"] == pytest.approx(worst_window_mae(predictions, horizon))
    assert found["params"] == summary["parameters"]
    assert images(book) == 3  # loss per epoch, MAE by step, worst windows


def test_inspect_classification_run(finished_classification_project, monkeypatch):
    book, found = execute(
        INSPECT,
        finished_classification_project,
        monkeypatch,
        '{"confusion": confusion.tolist(), "wrong": len(wrong)}',
        **UCR_RUN,
    )
    reporting = finished_classification_project / "data" / "ucr" / UCR_SET / "08_reporting"
    model = json.loads((reporting / "metrics.json").read_text())["model"]
    assert found["confusion"] == model["confusion_matrix"]["rows_actual_columns_predicted"]
    assert found["wrong"] == model["overall"]["cases"] - model["overall"]["correct"]
    assert images(book) == 3 if found["wrong"] else 2  # + the most confident mistakes


# --- what git holds ---------------------------------------------------------------------------


@pytest.mark.parametrize("notebook", [EXPLORE, INSPECT], ids=lambda path: path.name)
def test_committed_without_outputs(notebook):
    book = nbformat.read(notebook, as_version=4)
    nbformat.validate(book)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert [cell.outputs for cell in code] == [[]] * len(code)
    assert [cell.execution_count for cell in code] == [None] * len(code)
    assert "parameters" in code[0].metadata.get("tags", [])  # papermill-style first cell


def test_every_notebook_is_tested():
    assert sorted(NOTEBOOKS.glob("*.ipynb")) == [EXPLORE, INSPECT]
