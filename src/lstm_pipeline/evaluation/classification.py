"""Classification scores of any predictor (the model or a baseline) on the test cases, and the
two baselines: the majority class and 1-NN Euclidean on z-normalised series.

Scores (scikit-learn): accuracy, balanced accuracy (mean recall over the classes present in
the test split), macro F1 (over the classes present in the test split or predicted, as
scikit-learn defines it), ROC AUC (binary: the positive class is code 1; more classes: the
macro mean of one-vs-rest AUCs over the classes present in the test split), per-class
precision, recall, F1 and support, and the confusion matrix.

    >>> scores = classifier_scores(true, predicted, probabilities, ["1", "2"])
    >>> scores["overall"]["accuracy"], scores["per_class"]["2"]["recall"]
"""

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn import metrics as skm

# the headline figures, the same keys for the model and every baseline
OVERALL = ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc")


def one_hot(codes, n_classes: int) -> np.ndarray:
    """(n, n_classes) float64 rows with a 1 at each code: the scores of a hard predictor."""
    codes = np.asarray(codes, np.int64)
    rows = np.zeros((len(codes), n_classes))
    rows[np.arange(len(codes)), codes] = 1.0
    return rows


def roc_auc(true, probabilities, classes: Sequence[str]) -> tuple[float | None, str]:
    """ROC AUC and how it was computed (or why it is undefined: then None).

    Binary: the AUC of ``probabilities[:, 1]`` for class 1. More classes: the mean of the
    one-vs-rest AUCs of the classes present in ``true``; absent classes are named and left
    out (their one-vs-rest AUC has no positive case).
    """
    true, probabilities = np.asarray(true), np.asarray(probabilities, np.float64)
    present = np.unique(true)
    if len(present) < 2:
        only = ", ".join(classes[c] for c in present) or "none"
        return None, f"undefined: the test split holds one class only ({only})"
    if len(classes) == 2:
        return float(skm.roc_auc_score(true == 1, probabilities[:, 1])), (
            f"binary, positive class '{classes[1]}'"
        )
    per_class = [skm.roc_auc_score(true == c, probabilities[:, c]) for c in present]
    note = f"macro one-vs-rest over {len(present)} classes"
    absent = [name for code, name in enumerate(classes) if code not in present]
    if absent:
        note += f"; absent from the test split, left out: {', '.join(absent)}"
    return float(np.mean(per_class)), note


def _or_none(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def per_class_scores(true, predicted, classes: Sequence[str]) -> dict:
    """Precision, recall, F1 and support per class name; None where undefined (precision of
    a class never predicted, recall of a class absent from the test split)."""
    labels = list(range(len(classes)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, f1, support = skm.precision_recall_fscore_support(
            true, predicted, labels=labels, zero_division=np.nan
        )
    return {
        name: {
            "precision": _or_none(precision[i]),
            "recall": _or_none(recall[i]),
            "f1": _or_none(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(classes)
    }


def classifier_scores(true, predicted, probabilities, classes: Sequence[str]) -> dict:
    """``overall`` (:data:`OVERALL`), ``per_class``, ``confusion_matrix`` and notes, for
    integer codes ``true`` and ``predicted`` and (n, classes) ``probabilities``."""
    true, predicted = np.asarray(true, np.int64), np.asarray(predicted, np.int64)
    classes = list(classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # classes predicted but absent from the test split
        balanced = skm.balanced_accuracy_score(true, predicted)
        macro_f1 = skm.f1_score(true, predicted, average="macro", zero_division=0)
    auc, auc_note = roc_auc(true, probabilities, classes)
    matrix = skm.confusion_matrix(true, predicted, labels=list(range(len(classes))))
    return {
        "overall": {
            "accuracy": float(skm.accuracy_score(true, predicted)),
            "balanced_accuracy": float(balanced),
            "macro_f1": float(macro_f1),
            "roc_auc": auc,
            "cases": len(true),
            "correct": int((true == predicted).sum()),
        },
        "roc_auc_note": auc_note,
        "per_class": per_class_scores(true, predicted, classes),
        "confusion_matrix": {"labels": classes, "rows_actual_columns_predicted": matrix.tolist()},
    }


# --- baselines ---------------------------------------------------------------------------


def majority_class(train_labels, n_classes: int) -> int:
    """The commonest class code of the train cases (a tie goes to the lowest code)."""
    return int(np.bincount(np.asarray(train_labels, np.int64), minlength=n_classes).argmax())


def z_normalise(values: np.ndarray) -> np.ndarray:
    """Each channel of one (length, dims) case to mean 0 and standard deviation 1 (a flat
    channel to 0), in float64: the UCR convention."""
    values = np.asarray(values, np.float64)
    centred = values - values.mean(axis=0)
    spread = values.std(axis=0)
    return centred / np.where(spread > 0, spread, 1.0)


def resample(values: np.ndarray, length: int) -> np.ndarray:
    """One (steps, dims) case linearly interpolated to ``length`` steps (first and last
    steps kept; a one-step case becomes constant)."""
    if len(values) == length:
        return values
    old, new = np.linspace(0.0, 1.0, len(values)), np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, values[:, d]) for d in range(values.shape[1])], axis=1)


def length_policy(train_lengths, test_lengths) -> tuple[int, str]:
    """The common length the 1-NN baseline compares cases at, and the policy in words."""
    train_lengths = [int(n) for n in train_lengths]
    lengths = set(train_lengths) | {int(n) for n in test_lengths}
    longest = max(train_lengths)
    if len(lengths) == 1:
        return longest, f"equal length ({longest} steps): no resampling"
    return longest, (
        f"variable length ({min(lengths)} to {max(lengths)} steps): every case z-normalised, "
        f"then resampled by linear interpolation to the longest train case ({longest} steps)"
    )


def nearest_neighbour(train_cases, train_labels, test_cases) -> tuple[np.ndarray, str]:
    """1-NN Euclidean (scikit-learn ``KNeighborsClassifier(1)``) on per-case, per-channel
    z-normalised series; cases of different lengths are resampled (:func:`length_policy`).
    ``*_cases``: lists of (length, dims) arrays without NaN. Returns the predicted codes of
    ``test_cases`` and the length policy."""
    from sklearn.neighbors import KNeighborsClassifier

    length, policy = length_policy(map(len, train_cases), map(len, test_cases))
    if not len(test_cases):
        return np.empty(0, np.int64), policy

    def matrix(cases) -> np.ndarray:
        return np.stack([resample(z_normalise(case), length).ravel() for case in cases])

    neighbours = KNeighborsClassifier(n_neighbors=1, algorithm="brute")
    neighbours.fit(matrix(train_cases), np.asarray(train_labels, np.int64))
    return neighbours.predict(matrix(test_cases)), policy
