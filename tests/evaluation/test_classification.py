"""Classification scores against hand-computed values and a pairwise ROC AUC oracle; the
majority and 1-NN baselines against direct computations; predictions and scoring of the test
split against stand-ins of the labelled splits and shards."""

import itertools

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import GenerationMismatchError
from lstm_pipeline.evaluation.classification import (
    classifier_scores,
    length_policy,
    majority_class,
    nearest_neighbour,
    one_hot,
    resample,
    roc_auc,
    z_normalise,
)
from lstm_pipeline.evaluation.classifying import predictions_frame, score_cases

ACTUAL = [0, 0, 0, 1, 1, 2]
PREDICTED = [0, 0, 1, 1, 2, 2]
SCORES = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.6, 0.3, 0.1],
        [0.3, 0.5, 0.2],
        [0.1, 0.8, 0.1],
        [0.2, 0.3, 0.5],
        [0.1, 0.1, 0.8],
    ]
)


def pairwise_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """The share of (positive, negative) pairs ranked right, ties counting half."""
    pos, neg = scores[positive], scores[~positive]
    pairs = list(itertools.product(pos, neg))
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def test_scores_match_hand_computed_values():
    result = classifier_scores(ACTUAL, PREDICTED, SCORES, ["a", "b", "c"])
    overall = result["overall"]
    assert overall["accuracy"] == pytest.approx(4 / 6)
    assert overall["correct"] == 4 and overall["cases"] == 6
    # recalls 2/3, 1/2, 1/1; precisions 1, 1/2, 1/2 -> F1 0.8, 0.5, 2/3
    assert overall["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert overall["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result["per_class"]["a"] == {
        "precision": 1.0,
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(0.8),
        "support": 3,
    }
    assert result["per_class"]["b"]["precision"] == pytest.approx(0.5)
    assert result["per_class"]["c"]["recall"] == pytest.approx(1.0)
    assert result["confusion_matrix"] == {
        "labels": ["a", "b", "c"],
        "rows_actual_columns_predicted": [[2, 1, 0], [0, 1, 1], [0, 0, 1]],
    }
    actual = np.array(ACTUAL)
    expected = np.mean([pairwise_auc(actual == c, SCORES[:, c]) for c in range(3)])
    assert overall["roc_auc"] == pytest.approx(expected)
    assert result["roc_auc_note"] == "macro one-vs-rest over 3 classes"


def test_binary_roc_auc_scores_the_second_class():
    # pairs (positive, negative): 0.4>0.1, 0.4<0.6, 0.8>0.1, 0.8>0.6 -> 3/4
    value, note = roc_auc(
        [0, 0, 1, 1], [[0.9, 0.1], [0.4, 0.6], [0.6, 0.4], [0.2, 0.8]], ["n", "p"]
    )
    assert value == pytest.approx(0.75)
    assert note == "binary, positive class 'p'"


def test_a_class_absent_from_the_test_split_is_named_and_left_out():
    actual, predicted = [0, 0, 1, 1], [0, 2, 1, 1]
    scores = np.array([[0.8, 0.1, 0.1], [0.3, 0.2, 0.5], [0.1, 0.7, 0.2], [0.4, 0.5, 0.1]])
    result = classifier_scores(actual, predicted, scores, ["a", "b", "c"])
    positives = np.array(actual)
    expected = np.mean([pairwise_auc(positives == c, scores[:, c]) for c in (0, 1)])
    assert result["overall"]["roc_auc"] == pytest.approx(expected)
    assert result["roc_auc_note"].endswith("absent from the test split, left out: c")
    # c predicted once, never true: precision 0, recall undefined, F1 0 (scikit-learn)
    assert result["per_class"]["c"] == {"precision": 0.0, "recall": None, "f1": 0.0, "support": 0}
    # macro F1 over the classes present or predicted: F1 2/3 (a), 1 (b), 0 (c)
    assert result["overall"]["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    # balanced accuracy over the classes present: recalls 1/2 and 1
    assert result["overall"]["balanced_accuracy"] == pytest.approx(0.75)


def test_one_class_in_the_test_split_leaves_roc_auc_undefined():
    value, note = roc_auc([1, 1], [[0.2, 0.8], [0.6, 0.4]], ["x", "y"])
    assert value is None and "one class only (y)" in note
    result = classifier_scores([1, 1], [1, 0], [[0.2, 0.8], [0.6, 0.4]], ["x", "y"])
    assert result["overall"]["roc_auc"] is None
    assert result["per_class"]["x"]["precision"] == 0.0


def test_majority_class_is_the_commonest_train_class_ties_to_the_lowest_code():
    assert majority_class([1, 1, 0, 1], 3) == 1
    assert majority_class([2, 0, 2, 0], 3) == 0
    result = classifier_scores([0, 1, 1, 2], [1] * 4, one_hot([1] * 4, 3), ["a", "b", "c"])
    assert result["overall"]["accuracy"] == pytest.approx(0.5)
    assert result["overall"]["balanced_accuracy"] == pytest.approx(1 / 3)
    assert result["overall"]["roc_auc"] == pytest.approx(0.5)  # a constant score


def test_z_normalise_and_resample_against_direct_computations():
    case = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]])
    z = z_normalise(case)
    column = case[:, 0]
    np.testing.assert_allclose(z[:, 0], (column - column.mean()) / column.std())
    np.testing.assert_array_equal(z[:, 1], 0.0)  # a flat channel
    # 4 steps at positions 0, 1/3, 2/3, 1 -> 7 steps at 0, 1/6, ..., 1
    np.testing.assert_allclose(
        resample(case, 7)[:, 0], [1.0, 1.5, 2.0, 2.5, 3.0, 4.5, 6.0], atol=1e-12
    )
    np.testing.assert_array_equal(resample(case[:1], 3), [[1.0, 5.0]] * 3)
    assert length_policy([5, 5], [5]) == (5, "equal length (5 steps): no resampling")
    length, policy = length_policy([5, 8], [3])
    assert length == 8 and "3 to 8 steps" in policy and "longest train case (8 steps)" in policy


def test_nearest_neighbour_against_a_direct_distance_computation():
    rng = np.random.default_rng(3)
    train = [rng.normal(size=(6, 2)) * rng.uniform(1, 9) + rng.normal() for _ in range(9)]
    test = [rng.normal(size=(6, 2)) for _ in range(5)]
    labels = np.arange(9) % 3
    predicted, policy = nearest_neighbour(train, labels, test)
    flat = np.stack([z_normalise(c).ravel() for c in train])
    for case, code in zip(test, predicted, strict=True):
        distances = ((flat - z_normalise(case).ravel()) ** 2).sum(axis=1)
        assert code == labels[distances.argmin()]
    assert policy == "equal length (6 steps): no resampling"


# --- the test split: stand-ins of the labelled splits and shards -----------------------------


class Sequences:
    """A stand-in of ``ParquetSequences`` (CONTRACTS.md): cases, labels, values."""

    def __init__(self, name, cases, labels, values):
        self.name, self.path, self.columns = name, f"{name}_series.parquet", ["x"]
        self._rows = list(zip(cases, labels, values, strict=True))

    def iter_cases(self, columns):
        assert list(columns) == self.columns
        yield from ((c, label, v.astype(np.float32)) for c, label, v in self._rows)


class Shards:
    """A stand-in of a labelled ``ShardSet``: manifest classes and the case table."""

    def __init__(self, cases, labels, classes):
        self.folder = "test_shards"
        self.manifest = type("Manifest", (), {"classes": classes})()
        self._table = pd.DataFrame({"case": cases, "label": labels, "length": 4})

    def case_table(self):
        return self._table


def waves(labels, rng):
    """Class 0: a rising ramp; class 1: a falling one; plus noise."""
    ramp = np.linspace(-1, 1, 4)
    return [((ramp if k == 0 else -ramp) + rng.normal(0, 0.1, 4))[:, None] for k in labels]


@pytest.fixture
def split():
    rng = np.random.default_rng(0)
    train_labels, val_labels, test_labels = [0, 0, 0, 1], [1, 0], [1, 0, 1, 1, 0]
    test_cases = [4, 0, 3, 1, 2]  # the shards' stored order need not be the case order
    by_case = dict(sorted(zip(test_cases, test_labels, strict=True)))
    test = Sequences("test", list(by_case), list(by_case.values()), waves(by_case.values(), rng))
    return {
        "train": Sequences("train", [0, 1, 2, 3], train_labels, waves(train_labels, rng)),
        "val": Sequences("val", [4, 5], val_labels, waves(val_labels, rng)),
        "test": test,
        "shards": Shards(test_cases, test_labels, ["up", "down"]),
        "cases": test_cases,
        "true": test_labels,
    }


def test_scoring_the_test_split_scores_the_model_and_both_baselines_on_the_same_cases(split):
    # the model: right on all but case 3 (true 1 "down", predicted "up")
    probabilities = [[0.1, 0.9], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]]
    frame = predictions_frame(split["cases"], split["true"], probabilities, ["up", "down"])
    assert list(frame.columns) == ["case", "true_label", "predicted_label", "prob_up", "prob_down"]
    assert frame["predicted_label"].tolist() == ["down", "up", "up", "down", "up"]
    result = score_cases(frame, split["shards"], split["train"], split["val"], split["test"])
    metrics = result.metrics
    assert metrics["task"] == "classification" and metrics["cases"] == 5
    assert metrics["model"]["overall"]["accuracy"] == pytest.approx(4 / 5)
    majority = metrics["baselines"]["majority_class"]
    assert majority["predicts"] == "up" and majority["train_cases"] == 6  # 4 of 6 TRAIN cases
    assert majority["overall"]["accuracy"] == pytest.approx(2 / 5)
    nearest = metrics["baselines"]["one_nn_euclidean"]
    assert nearest["overall"]["accuracy"] == pytest.approx(1.0)  # ramps: easy for 1-NN
    assert set(nearest["overall"]) == set(metrics["model"]["overall"])
    assert "hard predictions" in nearest["roc_auc_scores"]
    assert result.samples["predicted"]["one_nn_euclidean"] == ["down", "up", "down", "down", "up"]
    assert result.samples["true_class_probability"] == pytest.approx([0.9, 0.8, 0.4, 0.7, 0.9])


def test_scoring_refuses_predictions_of_other_cases_labels_or_classes(split):
    args = (split["shards"], split["train"], split["val"], split["test"])
    scores = np.full((5, 2), 0.5)
    other_cases = predictions_frame([4, 0, 3, 1, 9], split["true"], scores, ["up", "down"])
    with pytest.raises(GenerationMismatchError, match="different runs"):
        score_cases(other_cases, *args)
    other_labels = predictions_frame(split["cases"], [0, 0, 1, 1, 0], scores, ["up", "down"])
    with pytest.raises(GenerationMismatchError, match="test split"):
        score_cases(other_labels, *args)
    other_classes = predictions_frame(split["cases"], split["true"], scores, ["u", "d"])
    with pytest.raises(GenerationMismatchError, match="classes are"):
        score_cases(other_classes, *args)
