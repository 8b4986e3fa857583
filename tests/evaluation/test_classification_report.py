"""The classification report, plots and stage record, from metrics whose outcome is known:
the model beats the majority class, ties with 1-NN on accuracy and loses to it elsewhere."""

import json

import numpy as np
import pytest

from lstm_pipeline.datasets import PlotFolderDataset
from lstm_pipeline.errors import GenerationMismatchError, SettingsError
from lstm_pipeline.evaluation.classification import classifier_scores, one_hot
from lstm_pipeline.evaluation.classification_plots import PLOTS
from lstm_pipeline.evaluation.classification_report import classification_report
from lstm_pipeline.evaluation.record import classification_record
from lstm_pipeline.pipelines.evaluation.nodes import plot_evaluation, record_evaluation

CLASSES = ["Gun", "Point", "Other"]
TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
MODEL = np.array([0, 0, 0, 1, 1, 1, 1, 2, 0, 0])  # 7 right; recall 3/4, 1, 1/3
NEAREST = np.array([0, 0, 0, 0, 1, 2, 0, 2, 2, 1])  # 7 right; recall 1, 1/3, 2/3
HISTORY = {
    "history": {
        "epoch": [1, 2, 3],
        "loss": [1.0, 0.7, 0.5],
        "accuracy": [0.4, 0.6, 0.8],
        "val_loss": [1.1, 0.8, 0.6],
        "val_accuracy": [0.3, 0.5, 0.7],
    },
    "settings": {"precision": "float32", "epochs": 3, "batch_size": 16, "optimizer": "adam"},
}
SUMMARY = {"name": "fcn", "parameters": 1234}


def scores(predicted, probabilities=None):
    probabilities = one_hot(predicted, 3) if probabilities is None else probabilities
    return classifier_scores(TRUE, predicted, probabilities, CLASSES)


@pytest.fixture
def metrics():
    probabilities = np.full((10, 3), 0.1)
    probabilities[np.arange(10), MODEL] = 0.8
    return {
        "task": "classification",
        "cases": 10,
        "classes": CLASSES,
        "model": scores(MODEL, probabilities),
        "baselines": {
            "majority_class": {**scores(np.zeros(10, int)), "predicts": "Gun"},
            "one_nn_euclidean": {**scores(NEAREST), "length_policy": "equal length (5 steps)"},
        },
        "baseline_definitions": {"majority_class": "commonest", "one_nn_euclidean": "1-NN"},
    }


def test_the_report_tables_name_the_classes_and_give_an_honest_verdict(metrics):
    report = classification_report(metrics, HISTORY, SUMMARY)
    assert "| model | 0.7000 |" in report
    assert "| majority_class (always 'Gun') | 0.4000 |" in report
    assert "| class | test cases | precision | recall | F1 | recall majority_class |" in report
    assert "| Point | 3 | 0.750 | 1.000 | 0.857 | 0.000 | 0.333 |" in report
    assert "| actual \\ predicted | Gun | Point | Other |" in report
    assert "| Other | 2 | 0 | 1 |" in report  # actual Other: 2 called Gun, 1 right
    assert "the model beats majority_class on accuracy by 0.3000 (0.7000 vs 0.4000, 3 of 10" in (
        report
    )
    assert "the model ties with one_nn_euclidean on accuracy (0.7000 vs 0.7000)" in report
    nearest_balanced = (1 + 1 / 3 + 2 / 3) / 3
    model_balanced = (3 / 4 + 1 + 1 / 3) / 3
    margin = model_balanced - nearest_balanced
    assert f"the model beats one_nn_euclidean on balanced accuracy by {margin:.4f}" in report
    assert (
        "Against one_nn_euclidean it ties on accuracy and beats it on balanced accuracy and "
        "macro F1." in report
    )
    assert "equal length (5 steps)" in report
    for name, plot in PLOTS.items():
        assert f"[{plot.title}](plots/{name}.png)" in report
    assert "- last epoch's val_accuracy: 0.7000" in report


def test_the_verdict_names_a_loss(metrics):
    metrics["baselines"]["one_nn_euclidean"] = scores(TRUE)  # a perfect baseline
    report = classification_report(metrics, HISTORY, SUMMARY)
    assert (
        "**Verdict (test split):** The model beats majority_class on accuracy, balanced "
        "accuracy and macro F1. Against one_nn_euclidean it loses on accuracy, balanced "
        "accuracy and macro F1." in report
    )
    assert "the model loses to one_nn_euclidean on accuracy by 0.3000" in report


def test_the_plots_are_drawn_saved_as_one_group_and_recorded(metrics, tmp_path):
    samples = {"true_class_probability": [0.8] * 7 + [0.1] * 3}
    figures = plot_evaluation(metrics, samples, HISTORY, "classification")
    assert tuple(figures) == tuple(PLOTS)
    heatmap = figures["confusion_matrix"][1].data[0]
    assert np.asarray(heatmap.z).tolist() == [[3, 1, 0], [0, 3, 0], [2, 0, 1]]
    recall = {bar.name: list(bar.y) for bar in figures["per_class_recall"][1].data}
    assert recall["model"] == pytest.approx([3 / 4, 1, 1 / 3])
    dataset = PlotFolderDataset(str(tmp_path / "plots"))
    dataset.save(figures)
    loaded = dataset.load()
    assert list(loaded) == list(PLOTS)

    class Table:
        num_rows = 10

    record = record_evaluation(
        metrics, {"cases": [0] * 10}, Table(), "# r", loaded, "classification"
    )
    assert record["model"]["accuracy"] == pytest.approx(0.7)
    assert record["model_vs_baselines"]["one_nn_euclidean"]["accuracy"] == "ties with"
    assert record["artifacts"]["plots"] == [f"plots/{name}.png" for name in PLOTS]
    assert json.loads(json.dumps(record)) == record


def test_the_record_refuses_predictions_of_another_run(metrics):
    with pytest.raises(GenerationMismatchError, match="11 rows but metrics.json describes 10"):
        classification_record(metrics, {}, predictions_rows=11, report="", plots=[])


def test_an_unknown_task_is_refused_naming_the_parameter(metrics):
    with pytest.raises(SettingsError, match="Parameter 'task' is 'regression'"):
        plot_evaluation(metrics, {}, HISTORY, "regression")
