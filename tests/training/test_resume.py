"""One seed for everything, finished runs, changed settings, history, early stopping,
precision checks. (Exact resume at every checkpoint: test_exact_resume.py; divergence:
test_divergence.py.)"""

import json

import keras
import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config, sine_frame, tiny_model, write_split
from tests.training.helpers import StopAfterUpdates, assert_same_weights, same_history


def run(shards, settings, seed=3, stop_after=None, **model_args):
    extra = [StopAfterUpdates(stop_after)] if stop_after else []
    model = tiny_model(**model_args)
    return train(model, *shards, settings, seed=seed, extra_callbacks=extra, verbose=0)


def test_same_seed_same_result_and_another_seed_another(shards, tmp_path):
    first, first_history = run(shards, config(tmp_path / "1"), seed=5)
    again, again_history = run(shards, config(tmp_path / "2"), seed=5)
    other, other_history = run(shards, config(tmp_path / "3"), seed=6)
    assert first_history["loss"] == again_history["loss"]
    assert first_history["val_loss"] == again_history["val_loss"]
    assert_same_weights(first, again)
    assert first_history["loss"] != other_history["loss"]  # other shuffle order


def test_a_finished_run_is_not_silently_retrained(shards, tmp_path, caplog):
    settings = config(tmp_path)
    model, history = run(shards, settings)
    state_before = (tmp_path / "checkpoints/state.json").read_text()
    again, again_history = run(shards, settings)
    assert "already finished" in caplog.text and "training.retrain=true" in caplog.text
    assert again_history == history
    assert_same_weights(model, again)
    assert (tmp_path / "checkpoints/state.json").read_text() == state_before

    retrained, _ = run(shards, settings.model_copy(update={"retrain": True}), seed=9)
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(model.get_weights(), retrained.get_weights(), strict=True)
    )


def test_changed_settings_start_afresh_rather_than_resume(shards, tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        run(shards, config(tmp_path), stop_after=5)
    restarted, restarted_history = run(shards, config(tmp_path, learning_rate=0.02))
    assert "belong to another run" in caplog.text

    scratch, scratch_history = run(shards, config(tmp_path / "scratch", learning_rate=0.02))
    assert_same_weights(restarted, scratch)
    assert same_history(restarted_history, scratch_history)
    assert restarted_history["epoch"] == [1, 2]  # the epoch counter restarted
    steps = restarted_history["optimizer_updates"][0]
    assert restarted_history["optimizer_updates"] == [steps, 2 * steps]


def expected_learning_rates(val_losses, start, factor, patience, min_delta=1e-4):
    """An independent replay by Keras's own ReduceLROnPlateau: the rate each epoch trained
    with."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=start), loss="mse")
    keras_plateau = keras.callbacks.ReduceLROnPlateau(
        "val_loss", factor=factor, patience=patience, min_delta=min_delta, min_lr=0.0
    )
    keras_plateau.set_model(model)
    keras_plateau.on_train_begin()
    rates = []
    for epoch, val_loss in enumerate(val_losses):
        rates.append(float(model.optimizer.learning_rate.numpy()))
        keras_plateau.on_epoch_end(epoch, {"val_loss": val_loss})
    return rates


@pytest.mark.parametrize("min_delta", [1e-4, 10.0])  # 10: no epoch after the first improves
def test_history_has_losses_throughput_and_the_plateau_learning_rate_drop(
    shards, tmp_path, min_delta
):
    # validation targets are the negated train signal: the better the fit, the worse val_loss,
    # so val_loss soon stops improving and the learning rate must drop
    val = sine_frame(200, start=900, seed=1)
    val["y"] = -val["y"]
    write_split(val, tmp_path / "flipped_val")
    settings = config(
        tmp_path,
        epochs=4,
        schedule="reduce_on_plateau",
        plateau_patience=1,
        plateau_factor=0.25,
        plateau_min_delta=min_delta,
    )
    _, history = run((shards[0], tmp_path / "flipped_val"), settings)
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(s > 0 for s in history["samples_per_s"])
    assert all(np.isfinite(history["loss"])) and history["loss"][-1] < history["loss"][0]
    expected = expected_learning_rates(history["val_loss"], 0.01, 0.25, 1, min_delta)
    assert expected[-1] < 0.01  # the run did hit a plateau
    if min_delta == 10.0:
        assert expected == pytest.approx([0.01, 0.01, 0.0025, 0.000625])
    np.testing.assert_allclose(history["learning_rate"], expected, rtol=1e-6)


def test_early_stopping_restores_the_best_weights(shards, tmp_path):
    # validation targets are the negated train signal: the better the fit, the worse val_loss
    val = sine_frame(200, start=900, seed=1)
    val["y"] = -val["y"]
    write_split(val, tmp_path / "flipped_val")
    settings = config(tmp_path, epochs=6, early_stopping_patience=2)
    model, history = run((shards[0], tmp_path / "flipped_val"), settings)
    best = int(np.argmin(history["val_loss"]))
    assert len(history["val_loss"]) == best + 3 < 6  # 2 epochs without improvement
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    assert "early stopping" in state["stop_reason"] and "restored" in state["stop_reason"]
    from lstm_pipeline import make_dataset

    restored_loss = model.evaluate(make_dataset(tmp_path / "flipped_val", 32), verbose=0)
    assert restored_loss == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_a_model_built_for_another_precision_is_refused(shards, tmp_path):
    with pytest.raises(ModelSpecError, match="built for precision 'float32'"):
        train(tiny_model(), *shards, config(tmp_path, precision="mixed_bfloat16"), verbose=0)
