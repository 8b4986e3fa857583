"""Classification keeps the trainer's guarantees: a run stopped right after any checkpoint
and resumed ends bit-identical to the uninterrupted one (weights, loss, accuracy, counters),
with and without validation cases, gradient accumulation and mixed precision; k
micro-batches of b cases update like one batch of k*b; float16 and bfloat16 runs learn."""

import json

import numpy as np
import pytest

from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config
from tests.training.helpers import assert_same_weights, same_history, snapshot_every_checkpoint
from tests.training.sequences import FakeCaseShards, case_sets, tiny_classifier, toy_cases

pytestmark = pytest.mark.usefixtures("fake_reader")

# 48 cases in micro-batches of 8: 6 per epoch (see test_exact_resume.py for the shapes).
SETTINGS = {
    1: {"epochs": 2, "checkpoint_every_steps": 2},
    4: {"epochs": 3, "checkpoint_every_steps": 1},
}
CONFIGURATIONS = [  # precision, accumulation, validation cases, class weights
    ("float32", 1, True, None),
    ("float32", 4, False, "balanced"),
    ("mixed_float16", 1, False, None),
    ("mixed_float16", 4, True, {"slow": 2.0}),
]


def settings(folder, precision, accumulation, class_weight):
    return config(
        folder,
        **SETTINGS[accumulation],
        batch_size=8,
        accumulation_steps=accumulation,
        precision=precision,
        schedule="cosine",
        early_stopping_patience=5,  # best weights saved, restored at the end
        class_weight=class_weight,
    )


def run(sets, folder, configuration):
    precision, accumulation, _, class_weight = configuration
    model = tiny_classifier(precision, dropout=0.2)
    setup = settings(folder, precision, accumulation, class_weight)
    return train(model, *sets, setup, seed=3, verbose=0, task="classification")


def data(folder, with_validation: bool):
    train_set, val_set = case_sets(folder, imbalance=0.3)
    if not with_validation:
        val_set = FakeCaseShards(folder / "val", [], np.zeros(0, np.int32))
    return train_set, val_set


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=lambda c: f"{c[0]}-acc{c[1]}-{c[2]}")
def test_resumed_after_every_checkpoint_equals_the_uninterrupted_run(tmp_path, configuration):
    sets = data(tmp_path, configuration[2])
    (tmp_path / "snapshots").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        snapshots = snapshot_every_checkpoint(patch, tmp_path / "snapshots")
        whole, whole_history = run(sets, tmp_path / "whole", configuration)
    assert "accuracy" in whole_history and ("val_accuracy" in whole_history) == configuration[2]
    assert len(snapshots) > 5 and snapshots[-1].name.endswith("final")
    for snapshot in snapshots[:-1]:
        state = json.loads((snapshot / "checkpoints/state.json").read_text())
        assert not state["finished"]
        resumed, history = run(sets, snapshot, configuration)
        assert same_history(history, whole_history), snapshot.name
        assert_same_weights(whole, resumed)


def equal_length_sets(folder):
    """64 cases of one length: micro-batches are never padded differently from big ones."""
    values, labels = toy_cases(64, seed=0, lengths=(16, 16))
    empty = FakeCaseShards(folder / "val", [], np.zeros(0, np.int32))
    return FakeCaseShards(folder / "train", values, labels), empty


def trained_weights(folder, precision, batch, accumulation, optimizer):
    settings = config(
        folder,
        epochs=1,
        batch_size=batch,
        accumulation_steps=accumulation,
        precision=precision,
        optimizer=optimizer,
        learning_rate=0.05,
        clip_norm=None,
        class_weight="balanced",
    )
    model = tiny_classifier(precision)
    sets = equal_length_sets(folder)
    model, history = train(model, *sets, settings, seed=3, verbose=0, task="classification")
    assert history["optimizer_updates"] == [64 // (batch * accumulation)]
    return model.get_weights()


# The fake reader chunks one seeded order, so 4 consecutive micro-batches of 8 hold exactly
# the cases of one batch of 32 (the real reader buckets per batch size; see its own tests).
@pytest.mark.parametrize(
    ("precision", "optimizer"),
    [("float32", "sgd"), ("float32", "adam"), ("mixed_float16", "sgd")],
)
def test_k_micro_batches_of_cases_update_like_one_big_batch(tmp_path, precision, optimizer):
    accumulated = trained_weights(tmp_path / "acc", precision, 8, 4, optimizer)
    big_batch = trained_weights(tmp_path / "big", precision, 32, 1, optimizer)
    separate = trained_weights(tmp_path / "separate", precision, 8, 1, optimizer)
    for a, b in zip(accumulated, big_batch, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # and the comparison can fail: 8 separate updates are not 2 of 32
    difference = max(float(np.abs(a - b).max()) for a, b in zip(separate, big_batch, strict=True))
    assert difference > 1e-3


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_reduced_precision_runs_learn(tmp_path, precision):
    sets = case_sets(tmp_path)
    settings = config(tmp_path, batch_size=8, epochs=6, precision=precision, learning_rate=0.02)
    model = tiny_classifier(precision)
    model, history = train(model, *sets, settings, seed=3, verbose=0, task="classification")
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.85
    assert model.output.dtype == "float32"


def test_sparser_epoch_checkpoints_still_resume_exactly(tmp_path):
    """checkpoint_every_epochs: 2 writes fewer end-of-epoch checkpoints; resuming after
    any that is written (step or epoch) ends as the uninterrupted run."""
    sets = data(tmp_path, False)
    (tmp_path / "snapshots").mkdir()

    def sparse_run(folder):
        model = tiny_classifier("float32", dropout=0.2)
        setup = config(
            folder, epochs=5, batch_size=8, checkpoint_every_steps=0, checkpoint_every_epochs=2
        )
        return train(model, *sets, setup, seed=3, verbose=0, task="classification")

    with pytest.MonkeyPatch.context() as patch:
        snapshots = snapshot_every_checkpoint(patch, tmp_path / "snapshots")
        whole, whole_history = sparse_run(tmp_path / "whole")
    assert [s.name.split("-", 1)[1] for s in snapshots] == ["epoch-0002", "epoch-0004", "final"]
    for snapshot in snapshots[:-1]:
        resumed, history = sparse_run(snapshot)
        assert same_history(history, whole_history), snapshot.name
        assert_same_weights(whole, resumed)
