"""Classification on the test split: the model's predictions table, then the scores of the
model and of both baselines on exactly the same cases.

The predictions table has one row per test case, in the test shards' stored order:
``case``, ``true_label`` and ``predicted_label`` (class names), then ``prob_<class>`` per
class (float64). Scoring reads it back, checks it against the test shards and the test
split (same cases, same labels), and runs the baselines on the TRAIN cases (train + val).

    >>> frame = predict_cases(model, ShardSet(test_dir), batch_size=256)
    >>> result = score_cases(frame, shards, train, val, test)
    >>> result.metrics["model"]["overall"]["accuracy"], result.metrics["baselines"]
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstm_pipeline.errors import GenerationMismatchError
from lstm_pipeline.evaluation.classification import (
    classifier_scores,
    majority_class,
    nearest_neighbour,
    one_hot,
)

BASELINES = ("majority_class", "one_nn_euclidean")
BASELINE_DEFINITIONS = {
    "majority_class": "always the commonest class of the TRAIN cases (train + val)",
    "one_nn_euclidean": "1-NN Euclidean (scikit-learn KNeighborsClassifier(1)) on per-case, "
    "per-channel z-normalised series, fitted on the TRAIN cases (train + val)",
}
HARD_SCORES = "a baseline's ROC AUC scores its hard predictions (one-hot rows)"
PROBABILITY_PREFIX = "prob_"


@dataclass
class ClassEvaluation:
    metrics: dict
    samples: dict


def shard_classes(shards) -> list[str]:
    """The class names of labelled shards (their manifest's ``classes``)."""
    return list(shards.manifest.classes)


def predict_cases(model, shards, batch_size: int) -> pd.DataFrame:
    """The model's class probabilities for every case of ``shards`` (a labelled
    :class:`ShardSet`), read ``batch_size`` cases at a time in stored order."""
    from lstm_pipeline.windows.reader import make_dataset, named_shard_errors

    cases = shards.case_table()
    probabilities, labels = [], []
    with named_shard_errors():
        for inputs, batch_labels in make_dataset(shards, batch_size, shuffle=False):
            probabilities.append(np.asarray(model.predict_on_batch(inputs), np.float64))
            labels.append(np.asarray(batch_labels))
    classes = shard_classes(shards)
    read = np.concatenate(labels) if labels else np.empty(0, np.int64)
    if len(read) != len(cases) or not np.array_equal(read, cases["label"].to_numpy()):
        raise GenerationMismatchError(
            f"The test shards '{shards.folder}' yielded {len(read)} labelled cases that do not "
            f"match their own case table ({len(cases)} cases): run windowing again."
        )
    stacked = np.concatenate(probabilities) if probabilities else np.empty((0, len(classes)))
    return predictions_frame(cases["case"].to_numpy(), read, stacked, classes)


def predictions_frame(cases, true, probabilities, classes: list[str]) -> pd.DataFrame:
    """The predictions table (see the module doc) from codes and (n, classes) scores."""
    names = np.asarray(classes, dtype=object)
    probabilities = np.asarray(probabilities, np.float64).reshape(len(cases), len(classes))
    frame = pd.DataFrame(
        {
            "case": np.asarray(cases, np.int64),
            "true_label": names[np.asarray(true, np.int64)],
            "predicted_label": names[probabilities.argmax(axis=1)],
        }
    )
    for code, name in enumerate(classes):
        frame[f"{PROBABILITY_PREFIX}{name}"] = probabilities[:, code]
    return frame


def read_predictions(frame: pd.DataFrame, classes: list[str]):
    """(true codes, predicted codes, (n, classes) probabilities) of a predictions table.

    Raises:
        GenerationMismatchError: the table names other classes than ``classes``.
    """
    columns = [f"{PROBABILITY_PREFIX}{name}" for name in classes]
    found = [c for c in frame.columns if c.startswith(PROBABILITY_PREFIX)]
    labels = set(frame["true_label"]) | set(frame["predicted_label"])
    if found != columns or not labels <= set(classes):
        raise GenerationMismatchError(
            f"The predictions table has columns {found} and labels {sorted(labels)}, but the "
            f"test shards' classes are {classes}: they come from different runs. Run the "
            f"evaluation pipeline again."
        )
    code = {name: i for i, name in enumerate(classes)}
    true = frame["true_label"].map(code).to_numpy(np.int64)
    predicted = frame["predicted_label"].map(code).to_numpy(np.int64)
    return true, predicted, frame[columns].to_numpy(np.float64)


def labelled_cases(*splits) -> tuple[list[np.ndarray], np.ndarray]:
    """Every case of ``splits`` (``ParquetSequences``), values and label codes, in order."""
    values, labels = [], []
    for split in splits:
        for _, label, case_values in split.iter_cases(list(split.columns)):
            values.append(case_values)
            labels.append(label)
    return values, np.asarray(labels, np.int64)


def cases_in_order(test, cases, true) -> list[np.ndarray]:
    """The values of ``test`` (``ParquetSequences``) for ``cases`` in that order.

    Raises:
        GenerationMismatchError: a case is missing, or its label differs from ``true``.
    """
    stored = {case: (label, values) for case, label, values in test.iter_cases(test.columns)}
    wrong = [
        int(c) for c, t in zip(cases, true, strict=True) if c not in stored or stored[c][0] != t
    ]
    if wrong or len(stored) != len(cases):
        raise GenerationMismatchError(
            f"The predictions table's cases do not match the test split '{test.path}' "
            f"({len(cases)} vs {len(stored)} cases; first differing: {wrong[:5]}): they come "
            f"from different runs. Run the normalisation, windowing and evaluation stages again."
        )
    return [stored[int(c)][1] for c in cases]


def baseline_predictions(train, val, test, cases, true, classes) -> tuple[dict, dict]:
    """Each baseline's predicted codes and (one-hot) scores of ``cases``, and what to say
    of each in metrics.json (the majority class; the 1-NN length policy)."""
    train_values, train_labels = labelled_cases(train, val)
    majority = majority_class(train_labels, len(classes))
    nearest, policy = nearest_neighbour(
        train_values, train_labels, cases_in_order(test, cases, true)
    )
    constant = np.full(len(cases), majority, np.int64)
    predictions = {
        "majority_class": (constant, one_hot(constant, len(classes))),
        "one_nn_euclidean": (nearest, one_hot(nearest, len(classes))),
    }
    notes = {
        "majority_class": {"predicts": classes[majority], "train_cases": len(train_labels)},
        "one_nn_euclidean": {"length_policy": policy, "train_cases": len(train_labels)},
    }
    for note in notes.values():
        note["roc_auc_scores"] = HARD_SCORES
    return predictions, notes


def check_same_cases(cases: np.ndarray, shards) -> None:
    """Raise unless ``cases`` are exactly the cases of the test shards."""
    expected = shards.case_table()["case"].to_numpy(np.int64)
    if not np.array_equal(np.sort(cases), np.sort(expected)):
        raise GenerationMismatchError(
            f"The predictions table holds {len(cases)} cases, the test shards "
            f"'{shards.folder}' {len(expected)} others: they come from different runs. Run "
            f"the evaluation pipeline again."
        )


def score_cases(predictions: pd.DataFrame, shards, train, val, test) -> ClassEvaluation:
    """Scores of the model (from ``predictions``) and both baselines on the same test cases.

    ``shards``: the labelled test shards the predictions were made from (their classes and
    case table); ``train``, ``val``, ``test``: the normalised splits (``ParquetSequences``).

    Raises:
        GenerationMismatchError: the table, the shards and the test split disagree on the
            cases or their labels (outputs of different runs).
    """
    classes = shard_classes(shards)
    true, predicted, probabilities = read_predictions(predictions, classes)
    cases = predictions["case"].to_numpy(np.int64)
    check_same_cases(cases, shards)
    others, notes = baseline_predictions(train, val, test, cases, true, classes)
    metrics = {
        "task": "classification",
        "cases": len(true),
        "classes": classes,
        "model": classifier_scores(true, predicted, probabilities, classes),
        "baselines": {
            name: {**classifier_scores(true, codes, scores, classes), **notes[name]}
            for name, (codes, scores) in others.items()
        },
        "baseline_definitions": BASELINE_DEFINITIONS,
    }
    names = np.asarray(classes, dtype=object)
    samples = {
        "task": "classification",
        "classes": classes,
        "cases": cases.tolist(),
        "true": names[true].tolist(),
        "predicted": {
            "model": names[predicted].tolist(),
            **{name: names[codes].tolist() for name, (codes, _) in others.items()},
        },
        "true_class_probability": probabilities[np.arange(len(true)), true].tolist(),
    }
    return ClassEvaluation(metrics, samples)
