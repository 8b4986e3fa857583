"""Class weights for classification (``training.class_weight``): one weight per class code.

>>> weights_per_class("balanced", np.array([0, 0, 0, 1]), ["a", "b"])
array([0.6666667, 2.       ], dtype=float32)
>>> weights_per_class({"b": 3.0}, np.array([0, 1]), ["a", "b"])
array([1., 3.], dtype=float32)
"""

import numpy as np

from lstm_pipeline.errors import SettingsError


def weights_per_class(setting, train_labels: np.ndarray, classes: list[str]) -> np.ndarray | None:
    """The weight of each class code ``0 .. len(classes) - 1`` (float32), or None for no
    weighting.

    ``balanced``: ``n / (k * count)`` from the train labels (codes), k the number of classes
    present in them, as scikit-learn's ``compute_class_weight("balanced")``; a class absent
    from train keeps weight 1 (no train case carries it). A dict names labels (as in the
    label mapping) and their weights; labels it does not name keep weight 1.

    Raises :class:`SettingsError` naming ``training.class_weight`` for a label name that is
    not one of ``classes``.
    """
    if setting is None:
        return None
    if setting == "balanced":
        return _balanced(np.asarray(train_labels, dtype=np.int64), len(classes))
    unknown = sorted(set(setting) - set(classes))
    if unknown:
        raise SettingsError(
            f"training.class_weight names label(s) {unknown} that are not classes of this "
            f"data set; the classes (label_mapping) are {list(classes)}."
        )
    weights = np.ones(len(classes), dtype=np.float32)
    for name, weight in setting.items():
        weights[list(classes).index(name)] = weight
    return weights


def _balanced(labels: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.ones(n_classes, dtype=np.float64)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights.astype(np.float32)
