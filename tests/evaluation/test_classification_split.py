"""The evaluation nodes on a real classification split: labelled test shards of
variable-length cases, a small Keras model with the contract's inputs, the predictions
table written and read back by the catalog dataset, then scored. Checked against each case
predicted alone (no padding, no batching) and the baselines computed straight from the
frames that were written."""

import numpy as np
import pytest

from lstm_pipeline.datasets import StreamedParquetDataset
from lstm_pipeline.evaluation.classification import majority_class, nearest_neighbour
from lstm_pipeline.pipelines.evaluation.nodes import predict_test_split, score_test_split
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.sequences import ParquetSequences
from tests.windows.labelled import (
    CLASSES,
    FEATURES,
    cases_of,
    sequence_job,
    vowel_like_frame,
    write_split,
)


def pooled_softmax_model():
    """Masked mean over time, then a softmax layer: padding cannot change a prediction."""
    import keras

    keras.utils.set_random_seed(1)
    values = keras.Input((None, len(FEATURES)), name="values")
    mask = keras.Input((None,), dtype="bool", name="mask")
    weight = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    total = keras.ops.sum(values * weight, axis=1)
    pooled = total / keras.ops.maximum(keras.ops.sum(weight, axis=1), 1.0)
    scores = keras.layers.Dense(len(CLASSES), activation="softmax")(pooled * 3.0)
    return keras.Model({"values": values, "mask": mask}, scores)


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classification")
    frames = {
        name: vowel_like_frame(cases, seed=seed)
        for name, cases, seed in (("train", 60, 1), ("val", 15, 2), ("test", 40, 3))
    }
    paths = {name: write_split(frame, folder, name) for name, frame in frames.items()}
    sequence_job(paths["test"], shard_mb=0.002).write(folder / "test_shards")
    return folder, frames, {name: ParquetSequences(path) for name, path in paths.items()}


def test_predictions_and_scores_match_each_case_predicted_alone(split):
    folder, frames, splits = split
    model = pooled_softmax_model()
    shards = ShardSet(folder / "test_shards")
    params = EvaluationParams(batch_size=8)
    in_order = (splits["train"], splits["val"], splits["test"])
    frame = predict_test_split(model, shards, {}, *in_order, params, "classification")
    dataset = StreamedParquetDataset(str(folder / "predictions.parquet"))
    dataset.save(frame)
    table = dataset.load()

    test_cases = cases_of(frames["test"])
    alone = {
        case: model.predict_on_batch({"values": v[None], "mask": np.ones((1, len(v)), bool)})[0]
        for case, _, v in test_cases
    }
    written = table.to_pandas().set_index("case")
    assert sorted(written.index) == sorted(alone)
    for case, label, _ in test_cases:
        row = written.loc[case]
        assert row["true_label"] == CLASSES[label]
        probabilities = row[[f"prob_{c}" for c in CLASSES]].to_numpy(float)
        np.testing.assert_allclose(probabilities, alone[case], rtol=1e-5, atol=1e-6)
        assert row["predicted_label"] == CLASSES[int(np.argmax(probabilities))]

    metrics, samples = score_test_split(
        table, shards, {}, splits["train"], splits["val"], splits["test"], params, "classification"
    )
    truth = np.array([label for _, label, _ in test_cases])
    predicted = np.array([np.argmax(alone[case]) for case, _, _ in test_cases])
    assert metrics["task"] == "classification" and metrics["cases"] == len(test_cases)
    assert metrics["model"]["overall"]["accuracy"] == pytest.approx((predicted == truth).mean())

    train_cases = cases_of(frames["train"]) + cases_of(frames["val"])
    train_labels = np.array([label for _, label, _ in train_cases])
    majority = CLASSES[majority_class(train_labels, len(CLASSES))]
    assert metrics["baselines"]["majority_class"]["predicts"] == majority
    assert metrics["baselines"]["majority_class"]["overall"]["accuracy"] == pytest.approx(
        (truth == CLASSES.index(majority)).mean()
    )
    nearest, policy = nearest_neighbour(
        [v for _, _, v in train_cases], train_labels, [v for _, _, v in test_cases]
    )
    assert metrics["baselines"]["one_nn_euclidean"]["overall"]["accuracy"] == pytest.approx(
        (nearest == truth).mean()
    )
    assert metrics["baselines"]["one_nn_euclidean"]["length_policy"] == policy
    assert policy.startswith("variable length")
    by_case = dict(zip(samples["cases"], samples["predicted"]["one_nn_euclidean"], strict=True))
    assert [by_case[case] for case, _, _ in test_cases] == [CLASSES[c] for c in nearest]
