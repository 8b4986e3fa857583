"""Classification end to end: `kedro run -e ucr` as a user runs it, checked against the
archive's own figures and against numbers recomputed from the written predictions."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix

from lstm_pipeline.ingest.labelled import read_ts
from tests.conftest import (
    UCR,
    UCR_TINY,
    copy_project,
    new_classification_project,
    new_project,
    run_in_process,
)

pytestmark = pytest.mark.slow
OUT = "data/ucr/ItalyPowerDemand"
SCORES = {"accuracy", "balanced_accuracy", "macro_f1", "roc_auc", "cases", "correct"}


@pytest.fixture(scope="module")
def italy_power_demand(tmp_path_factory) -> Path:
    """The documented FCN configuration, cut to 100 epochs (about 30 s on 2 cores)."""
    project = new_classification_project(tmp_path_factory.mktemp("ipd") / "project")
    params = {"ucr": {"dataset": "ItalyPowerDemand"}, "training": {"epochs": 100}}
    run_in_process(project, params=params, env="ucr")
    return project


def test_italy_power_demand_reaches_the_published_accuracy(italy_power_demand):
    metrics = json.loads((italy_power_demand / OUT / "08_reporting/metrics.json").read_text())
    assert metrics["task"] == "classification" and metrics["classes"] == ["1", "2"]
    assert metrics["model"]["overall"]["accuracy"] >= 0.90  # FCN published: 0.961
    # every baseline reports the same keys as the model, on the same 1029 test cases
    for name in ("majority_class", "one_nn_euclidean"):
        assert set(metrics["baselines"][name]["overall"]) == set(metrics["model"]["overall"])
        assert metrics["baselines"][name]["overall"]["cases"] == 1029
    assert set(metrics["model"]["overall"]) == SCORES
    assert round(metrics["baselines"]["one_nn_euclidean"]["overall"]["accuracy"], 3) == 0.955


def test_predictions_agree_with_the_archive_and_with_the_metrics(italy_power_demand):
    project = italy_power_demand
    predictions = pd.read_parquet(project / OUT / "07_model_output/predictions.parquet")
    truth = read_ts(UCR / "ItalyPowerDemand/ItalyPowerDemand_TEST.ts").labels
    assert predictions["case"].tolist() == list(range(1029))  # every test case, in file order
    assert predictions["true_label"].tolist() == list(truth)
    probabilities = predictions[["prob_1", "prob_2"]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    argmax = np.array(["1", "2"])[probabilities.argmax(axis=1)]
    assert predictions["predicted_label"].tolist() == argmax.tolist()
    metrics = json.loads((project / OUT / "08_reporting/metrics.json").read_text())
    expected = accuracy_score(predictions["true_label"], predictions["predicted_label"])
    assert metrics["model"]["overall"]["accuracy"] == pytest.approx(expected)
    matrix = confusion_matrix(predictions["true_label"], predictions["predicted_label"])
    stored = metrics["model"]["confusion_matrix"]["rows_actual_columns_predicted"]
    assert np.array_equal(np.asarray(stored), matrix)


def test_the_report_shows_the_table_baselines_and_confusion_matrix(italy_power_demand):
    reporting = italy_power_demand / OUT / "08_reporting"
    report = (reporting / "report.md").read_text()
    assert "| predictor | accuracy |" in report
    assert "majority_class" in report and "one_nn_euclidean" in report
    assert "(plots/confusion_matrix.png)" in report and "**Verdict" in report
    assert (reporting / "plots/confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    figure = json.loads((reporting / "plots/confusion_matrix.plotly.json").read_text())
    assert figure["data"]
    mapping = json.loads(
        (italy_power_demand / OUT / "02_intermediate/label_mapping.json").read_text()
    )
    assert mapping["classes"] == ["1", "2"] and sum(mapping["counts"]["train"].values()) == 67


def test_every_stage_runs_alone(finished_classification_project, tmp_path):
    project = copy_project(finished_classification_project, tmp_path / "project")
    params = {**UCR_TINY, "training": {**UCR_TINY["training"], "retrain": True}}
    for stage in ("ingestion", "normalisation", "windowing", "modelling", "training", "evaluation"):
        run_in_process(project, stage, params=params, env="ucr")
    record = json.loads((project / OUT / "08_reporting/evaluation_record.json").read_text())
    windowing = json.loads((project / OUT / "05_model_input/windowing_record.json").read_text())
    # the evaluation read what the stages just rerun wrote
    assert record["lineage"]["upstream"]["windowing"] == windowing["lineage"]["generation"]
    assert windowing["task"] == "classification"


def test_a_multivariate_variable_length_set_runs_with_tfrecord_shards(tmp_path):
    project = new_classification_project(tmp_path / "project", "JapaneseVowels")
    params = {
        "ucr": {"dataset": "JapaneseVowels"},
        "windowing": {"format": "tfrecord"},
        "training": {"epochs": 3, "batch_size": 32},
    }
    run_in_process(project, params=params, env="ucr")
    out = project / "data/ucr/JapaneseVowels"
    windowing = json.loads((out / "05_model_input/windowing_record.json").read_text())
    assert (windowing["min_length"], windowing["max_length"]) == (7, 29)
    assert windowing["shapes"]["inputs"] == [None, 12] and len(windowing["classes"]) == 9
    metrics = json.loads((out / "08_reporting/metrics.json").read_text())
    assert metrics["model"]["overall"]["cases"] == 370
    policy = metrics["baselines"]["one_nn_euclidean"]["length_policy"]
    assert "resampled" in policy


def test_the_hdf5_example_environment_trains_on_data_and_one_hot_labels(tmp_path):
    project = new_project(tmp_path / "project")
    example = Path(__file__).parents[1] / "data/01_raw/hdf5_example"
    (project / "data/01_raw/hdf5_example").mkdir(parents=True)
    (project / "data/01_raw/hdf5_example/basic_motions.h5").write_bytes(
        (example / "basic_motions.h5").read_bytes()
    )
    run_in_process(project, params={"training": {"epochs": 3}}, env="hdf5_example")
    out = project / "data/hdf5_example"
    mapping = json.loads((out / "02_intermediate/label_mapping.json").read_text())
    assert mapping["classes"] == ["Badminton", "Running", "Standing", "Walking"]
    metrics = json.loads((out / "08_reporting/metrics.json").read_text())
    assert metrics["model"]["overall"]["cases"] == 20  # a stratified quarter of 80 cases


def test_a_fresh_process_loads_the_classifier_as_an_airflow_task_would(italy_power_demand):
    """Each node may run in its own process: loading the model must not depend on the
    modelling code having run before in the same process (its masking layers)."""
    model = italy_power_demand / OUT / "06_models/model.keras"
    script = (
        "import sys; from lstm_pipeline.datasets import KerasModelDataset; "
        "model = KerasModelDataset(filepath=sys.argv[1]).load(); "
        "print(sorted(model.input.keys()) if isinstance(model.input, dict) else model.input)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script, str(model)], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip().splitlines()[-1] == "['mask', 'values']"


def test_planning_measures_the_classifier_per_sequence_length(
    finished_classification_project, tmp_path
):
    project = copy_project(finished_classification_project, tmp_path / "project")
    grid = {"input_lengths": [24, 96], "batch_sizes": [8, 16], "steps": 1}
    run_in_process(project, "planning", params={**UCR_TINY, "planning": grid}, env="ucr")
    plan = json.loads((project / OUT / "08_reporting/batch_plan.json").read_text())
    measured = {(p["input_length"], p["batch_size"]) for p in plan["grid"] if p["peak_mb"]}
    assert measured == {(24, 8), (24, 16), (96, 8), (96, 16)}
    assert set(plan["best"]) == {"24", "96"}
