"""The 1-NN Euclidean baseline reproduces the UCR archive's published 1-NN (Euclidean)
accuracies on the bundled sets, read with the project's own .ts reader."""

import numpy as np
import pytest

from lstm_pipeline.evaluation.classification import nearest_neighbour
from lstm_pipeline.ingest.labelled import read_ts
from tests.conftest import REPO

UCR = REPO / "data" / "01_raw" / "ucr"
# the archive's published 1-NN Euclidean test accuracy (1 - its published error rate)
PUBLISHED = {"GunPoint": 0.913, "ItalyPowerDemand": 0.955, "ArrowHead": 0.800}


@pytest.mark.parametrize(("name", "published"), PUBLISHED.items())
def test_nearest_neighbour_reproduces_the_published_accuracy(name, published):
    train = read_ts(UCR / name / f"{name}_TRAIN.ts")
    test = read_ts(UCR / name / f"{name}_TEST.ts")
    classes = sorted(set(train.labels))
    code = {label: i for i, label in enumerate(classes)}
    train_codes = np.array([code[label] for label in train.labels])
    predicted, policy = nearest_neighbour(train.values, train_codes, test.values)
    actual = np.array([code[label] for label in test.labels])
    assert round(float((predicted == actual).mean()), 3) == published
    assert policy.startswith("equal length")
