"""Classification metrics from a confusion matrix, and the majority-class baseline."""

import numpy as np


def confusion_matrix(actual, predicted, n_classes: int) -> np.ndarray:
    """Rows: actual class, columns: predicted class."""
    matrix = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(matrix, (np.asarray(actual), np.asarray(predicted)), 1)
    return matrix


def classification_metrics(matrix: np.ndarray, class_names: list[str] | None = None) -> dict:
    """Accuracy, balanced accuracy, macro F1, per-class precision and recall."""
    matrix = np.asarray(matrix, np.float64)
    names = class_names or [str(i) for i in range(len(matrix))]
    true_positive = np.diag(matrix)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, true_positive / support, 0.0)
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = support > 0
    return {
        "accuracy": float(true_positive.sum() / matrix.sum()),
        "balanced_accuracy": float(recall[present].mean()),
        "macro_f1": float(f1[present].mean()),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(names)
        },
        "confusion_matrix": {
            "labels": names,
            "rows_actual_columns_predicted": matrix.astype(int).tolist(),
        },
    }


def majority_baseline(train_labels, test_labels, n_classes: int) -> dict:
    """Always predict the most frequent train class."""
    majority = int(np.bincount(np.asarray(train_labels), minlength=n_classes).argmax())
    test_labels = np.asarray(test_labels)
    matrix = confusion_matrix(test_labels, np.full_like(test_labels, majority), n_classes)
    return {"majority_class": majority, **classification_metrics(matrix)}
