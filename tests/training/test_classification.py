"""Training for classification: sparse categorical cross-entropy, accuracy per epoch, class
weights, optional validation (training loss monitored without it), one-hot labels, the
task's checks. (Exact resume, accumulation and precision: test_classification_resume.py.)"""

import json

import keras
import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from lstm_pipeline.errors import ModelSpecError, SettingsError, WindowingError
from lstm_pipeline.pipelines.training.nodes import train_model
from lstm_pipeline.trainer import feeds
from lstm_pipeline.trainer.class_weights import weights_per_class
from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config, tiny_model
from tests.training.helpers import assert_same_weights
from tests.training.sequences import CLASSES, FakeCaseShards, case_sets, padded, tiny_classifier

pytestmark = pytest.mark.usefixtures("fake_reader")


def classify(tmp_path, sets, seed=3, model=None, **overrides):
    settings = config(tmp_path, **{"batch_size": 8, "epochs": 6, **overrides})
    model = model or tiny_classifier()
    return train(model, *sets, settings, seed=seed, verbose=0, task="classification")


def test_a_classifier_learns_and_logs_accuracy_per_epoch(tmp_path):
    train_set, val_set = sets = case_sets(tmp_path)
    model, history = classify(tmp_path, sets, learning_rate=0.02)
    assert list(history)[:5] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert len(history["accuracy"]) == 6 and history["optimizer_updates"][0] == 6  # 48 / 8
    assert history["accuracy"][-1] > history["accuracy"][0]
    assert history["loss"][-1] < history["loss"][0]
    # the last epoch's validation figures, computed independently from the final weights
    probabilities = model.predict(padded(val_set.values), verbose=0)
    truth = val_set.labels
    accuracy = np.mean(probabilities.argmax(-1) == truth)
    cross_entropy = -np.mean(np.log(probabilities[np.arange(len(truth)), truth]))
    assert history["val_accuracy"][-1] == pytest.approx(accuracy)
    assert history["val_loss"][-1] == pytest.approx(cross_entropy, rel=1e-5)
    assert history["val_accuracy"][-1] >= 0.9


def test_without_validation_cases_the_training_loss_is_monitored(tmp_path, caplog):
    train_set, _ = case_sets(tmp_path)
    empty = FakeCaseShards(tmp_path / "val", [], np.zeros(0, np.int32))
    model, history = classify(
        tmp_path,
        (train_set, empty),
        learning_rate=0.05,
        early_stopping_patience=2,
        schedule="reduce_on_plateau",
        plateau_patience=1,
    )
    assert "val_loss" not in history and "val_accuracy" not in history
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    assert state["best_val_loss"] == min(history["loss"])  # the best checkpoint: lowest loss
    assert "loss" in state["stop_reason"] and "val_loss" not in state["stop_reason"]
    # the weights restored are those of the best epoch, not the last
    best = int(np.argmin(history["loss"]))
    if best < len(history["loss"]) - 1:
        assert "best weights (loss" in state["stop_reason"]


def test_the_plateau_schedule_lowers_the_rate_when_the_monitored_loss_stalls(tmp_path):
    sets = case_sets(tmp_path)
    _, history = classify(
        tmp_path,
        sets,
        learning_rate=1e-12,  # too small to move a weight: val_loss stays where it was
        min_learning_rate=1e-14,
        schedule="reduce_on_plateau",
        plateau_patience=1,
        epochs=3,
    )
    assert history["val_loss"][0] == history["val_loss"][1]
    assert history["learning_rate"] == pytest.approx([1e-12, 1e-12, 5e-13])


def test_one_hot_labels_train_exactly_as_class_codes(tmp_path):
    codes_model, codes_history = classify(tmp_path / "codes", case_sets(tmp_path), epochs=2)
    one_hot_model, one_hot_history = classify(
        tmp_path / "one_hot", case_sets(tmp_path, one_hot=True), epochs=2
    )
    assert one_hot_history["loss"] == codes_history["loss"]
    assert_same_weights(codes_model, one_hot_model)


def test_balanced_weights_equal_scikit_learns():
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    np.testing.assert_allclose(weights_per_class("balanced", labels, ["a", "b", "c"]), expected)
    assert weights_per_class(None, labels, ["a", "b", "c"]) is None
    named = weights_per_class({"c": 4.0}, labels, ["a", "b", "c"])
    assert named.tolist() == [1.0, 1.0, 4.0]


def test_an_unknown_label_name_is_refused_naming_the_parameter(tmp_path):
    with pytest.raises(SettingsError, match=r"training\.class_weight.*\['medium'\].*fast"):
        classify(tmp_path, case_sets(tmp_path), class_weight={"medium": 2.0})


def test_class_weights_reach_the_loss_as_sample_weights(tmp_path):
    """The first micro-batch's loss is the weighted cross-entropy of those cases under the
    initial weights: sum(w * ce) / B, as Keras reduces sample-weighted losses."""
    sets = case_sets(tmp_path, imbalance=0.25)
    train_set = sets[0]
    settings = config(tmp_path, batch_size=8, epochs=1, class_weight="balanced")
    initial = tiny_classifier()
    feed = feeds.SequenceFeed(*sets, settings, seed=3)
    x, y, w = next(iter(feed.train_dataset(epoch=0, skip=0)))
    weights = compute_class_weight("balanced", classes=np.arange(2), y=train_set.labels)
    np.testing.assert_allclose(w.numpy(), weights[y.numpy()], rtol=1e-6)
    probabilities = initial.predict(x, verbose=0)
    ce = -np.log(probabilities[np.arange(len(y)), y.numpy()])
    expected = float(np.sum(weights[y.numpy()] * ce) / len(ce))

    _, history = classify(tmp_path, sets, epochs=1, class_weight="balanced")
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    assert state["first_batch_loss"] == pytest.approx(expected, rel=1e-5)
    _, unweighted = classify(tmp_path / "plain", sets, epochs=1)
    assert unweighted["loss"] != history["loss"]


def test_the_report_names_cases_classes_weights_and_the_monitor(tmp_path):
    sets = case_sets(tmp_path)
    settings = config(tmp_path, batch_size=8, epochs=1, class_weight={"slow": 2.0})
    model, report = train_model(
        tiny_classifier(), *sets, {"batch_size": 8}, settings, None, 3, "classification"
    )
    assert report["task"] == "classification" and report["monitor"] == "val_loss"
    assert report["train_cases"] == 48 and report["val_cases"] == 16
    assert report["classes"] == CLASSES
    assert report["class_weights"] == {"fast": 1.0, "slow": 2.0}
    assert report["history"]["accuracy"] and report["settings"]["class_weight"] == {"slow": 2.0}
    assert report["settings"]["loss"] == "sparse_categorical_crossentropy"  # not training.loss
    assert report["history"]["samples_per_s"][0] > 0
    assert isinstance(model, keras.Model)


def test_the_task_and_the_shards_must_agree(tmp_path, shards):
    sets = case_sets(tmp_path)
    with pytest.raises(WindowingError, match="task is 'forecast'"):
        train(tiny_model(), *sets, config(tmp_path), verbose=0, task="forecast")
    with pytest.raises(WindowingError, match="task is 'classification'"):
        train(tiny_classifier(), *shards, config(tmp_path), verbose=0, task="classification")
    with pytest.raises(SettingsError, match=r"tbptt\.enabled"):
        classify(tmp_path, sets, tbptt={"enabled": True})
    with pytest.raises(ModelSpecError, match="one output per class"):
        classify(tmp_path, sets, model=tiny_classifier(n_classes=3))
    with pytest.raises(WindowingError, match="fewer than training.batch_size 64"):
        classify(tmp_path, sets, batch_size=64, accumulation_steps=2)
