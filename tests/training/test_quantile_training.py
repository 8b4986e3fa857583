"""The trainer compiles a quantile head with the pinball loss over the head's own levels,
resumes it exactly from a checkpoint (the loss reloads), and truncated BPTT trains it too."""

import keras
import numpy as np
import pytest

from lstm_pipeline.models import ModelSpec, build_model
from lstm_pipeline.models.quantiles import PinballLoss, quantile_levels
from lstm_pipeline.models.sequence import build_sequence_model, window_model_from
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.trainer.report import training_report
from lstm_pipeline.windows.reader import ShardSet
from tests.training.conftest import H, L, config
from tests.training.helpers import StopAfterUpdates

LEVELS = [0.1, 0.5, 0.9]
SPEC = ModelSpec(recurrent={"units": [6]}, quantiles=LEVELS)


def quantile_model():
    keras.utils.set_random_seed(1)
    return build_model(SPEC, input_length=L, n_features=2, horizon=H)


def test_a_quantile_head_trains_on_the_pinball_loss_and_resumes_exactly(shards, tmp_path):
    whole, history = train(quantile_model(), *shards, config(tmp_path / "a"), verbose=0)
    assert isinstance(whole.loss, PinballLoss) and whole.loss.quantiles == LEVELS
    assert history["loss"][-1] < history["loss"][0]
    resumable = config(tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        train(quantile_model(), *shards, resumable, extra_callbacks=[StopAfterUpdates(5)])
    resumed, resumed_history = train(quantile_model(), *shards, resumable, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed_history["val_loss"] == history["val_loss"]
    report = training_report(
        history, config(tmp_path), 0, ShardSet(shards[0]), ShardSet(shards[1]), "forecast", LEVELS
    )
    assert report["settings"]["loss"] == "pinball" and report["settings"]["quantiles"] == LEVELS


def test_truncated_bptt_trains_a_quantile_head_and_its_window_twin_keeps_the_levels(
    shards, tmp_path
):
    keras.utils.set_random_seed(1)
    streams, chunk = 4, 10
    stateful = build_sequence_model(
        SPEC,
        n_features=2,
        horizon=H,
        n_targets=1,
        batch_size=streams,
        chunk_length=chunk,
        stateful=True,
    )
    tbptt = {"enabled": True, "chunk_length": chunk, "streams": streams}
    model, history = train(stateful, *shards, config(tmp_path, tbptt=tbptt), verbose=0)
    assert isinstance(model.loss, PinballLoss)
    assert np.isfinite(history["val_loss"]).all()
    window = window_model_from(model, SPEC, input_length=L)
    assert quantile_levels(window) == LEVELS and window.output_shape == (None, H, 1, 3)


def test_batch_planning_measures_a_quantile_head_trained_on_its_pinball_loss():
    from lstm_pipeline.trainer.planning import _forecast_setup, _train_steps

    setup = {
        "spec": SPEC.model_dump(),
        "input_length": L,
        "n_features": 2,
        "horizon": H,
        "n_targets": 1,
        "precision": "float32",
        "steps": 1,
        "batch_size": 4,
    }
    model, _, y, loss = _forecast_setup(setup)
    assert model.output_shape == (None, H, 1, 3) and y.shape == (4, H, 1)
    assert isinstance(loss, PinballLoss) and loss.quantiles == LEVELS
    assert _train_steps(setup)["samples_per_s"] > 0
