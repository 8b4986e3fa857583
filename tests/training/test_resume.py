"""Exact resume, one seed for everything, finished runs, and the NaN stop."""

import json

import numpy as np
import pytest

from lstm_pipeline.errors import ModelSpecError, TrainingDivergedError
from lstm_pipeline.trainer.callbacks import StopAfterUpdates
from lstm_pipeline.trainer.loop import train
from tests.training.conftest import config, sine_frame, tiny_model, write_split


def run(shards, settings, seed=3, stop_after=None, **model_args):
    extra = [StopAfterUpdates(stop_after)] if stop_after else []
    model = tiny_model(**model_args)
    return train(model, *shards, settings, seed=seed, extra_callbacks=extra, verbose=0)


def assert_same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("precision", "accumulation", "stop_after"),
    [
        # 27 micro-batches per epoch; checkpoints every 4 updates and at each epoch's end
        ("float32", 1, 10),  # mid-epoch 1
        ("float32", 2, 15),  # mid-epoch 2, resumed from the end of epoch 1, which fell
        #                      between the two micro-batches of an update
        ("mixed_float16", 2, 9),  # mid-epoch 1, with loss scaling
    ],
)
def test_interrupted_and_resumed_equals_uninterrupted(
    shards, tmp_path, precision, accumulation, stop_after
):
    settings = dict(
        epochs=3, accumulation_steps=accumulation, precision=precision, schedule="cosine"
    )
    whole, whole_history = run(
        shards, config(tmp_path / "a", **settings), precision=precision, dropout=0.2
    )

    resumable = config(tmp_path / "b", **settings)
    with pytest.raises(KeyboardInterrupt):
        run(shards, resumable, stop_after=stop_after, precision=precision, dropout=0.2)
    state = json.loads((tmp_path / "b/checkpoints/state.json").read_text())
    assert not state["finished"] and 0 < state["updates"] < stop_after  # an earlier checkpoint
    # the same command again: a fresh (different) model object, resumed from the checkpoint
    resumed, resumed_history = run(shards, resumable, precision=precision, dropout=0.2)

    assert_same_weights(whole, resumed)
    assert resumed_history["val_loss"] == whole_history["val_loss"]
    np.testing.assert_allclose(resumed_history["loss"], whole_history["loss"], rtol=1e-6)
    assert resumed_history["optimizer_updates"] == whole_history["optimizer_updates"]


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
    run(shards, config(tmp_path, learning_rate=0.02))
    assert "belong to another run" in caplog.text


def test_history_has_losses_learning_rate_and_throughput(shards, tmp_path):
    settings = config(tmp_path, epochs=3, schedule="reduce_on_plateau", early_stopping_patience=1)
    _, history = run(shards, settings)
    assert history["epoch"][0] == 1
    assert all(s > 0 for s in history["samples_per_s"])
    assert len(history["loss"]) == len(history["val_loss"]) == len(history["learning_rate"])


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


def test_nan_in_the_data_stops_with_a_clear_error(tmp_path):
    frame = sine_frame(400)
    frame.iloc[100, 1] = 3e38  # finite, so windowing keeps it; its square overflows to inf
    write_split(frame, tmp_path / "train_shards")
    write_split(sine_frame(200, seed=1), tmp_path / "val_shards")
    shards = (tmp_path / "train_shards", tmp_path / "val_shards")
    with pytest.raises(TrainingDivergedError, match=r"became (nan|inf).*learning_rate.*NaN or"):
        run(shards, config(tmp_path, batch_size=16))


def test_a_model_built_for_another_precision_is_refused(shards, tmp_path):
    with pytest.raises(ModelSpecError, match="built for precision 'float32'"):
        train(tiny_model(), *shards, config(tmp_path, precision="mixed_bfloat16"), verbose=0)
