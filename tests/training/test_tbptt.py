"""Truncated BPTT: streams, carried and reset states, stateful inference, resume."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.models import ModelSpec, build_model
from lstm_pipeline.models.sequence import (
    build_sequence_model,
    predict_stateful,
    window_model_from,
)
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.streams import StreamLayout
from tests.training.conftest import H, config, write_split
from tests.training.helpers import StopAfterUpdates

C, B = 10, 4
SPEC = ModelSpec(recurrent={"units": [6, 5], "dropout": 0.1})


def stateful_model(precision="float32", seed=1):
    keras.utils.set_random_seed(seed)
    return build_sequence_model(
        SPEC,
        n_features=2,
        horizon=H,
        n_targets=1,
        batch_size=B,
        chunk_length=C,
        stateful=True,
        precision=precision,
    )


def tbptt_config(tmp_path, **overrides):
    return config(tmp_path, tbptt={"enabled": True, "chunk_length": C, "streams": B}, **overrides)


@pytest.fixture(scope="module")
def counting_shards(tmp_path_factory):
    """a = row number, y = row number + 0.5: every value says where it came from."""
    rows = 1003
    frame = pd.DataFrame(
        {"a": np.arange(rows), "y": np.arange(rows) + 0.5},
        index=pd.date_range("2020-01-01", periods=rows, freq="1min", name="timestamp"),
    ).astype("float32")
    folder = tmp_path_factory.mktemp("counting") / "train_shards"
    write_split(frame, folder)
    return folder


def test_row_r_of_consecutive_batches_continues_stream_r(counting_shards):
    layout = StreamLayout(ShardSet(counting_shards), chunk_length=C, streams=B)
    stream_rows = 1003 // B
    assert layout.stream_rows == stream_rows and layout.chunks == (stream_rows - H) // C
    for i, (inputs, targets) in enumerate(layout.batches()):
        assert inputs.shape == (B, C, 2) and targets.shape == (B, C, H, 1)
        for r in range(B):
            start = r * stream_rows + i * C
            np.testing.assert_array_equal(inputs[r, :, 0], np.arange(start, start + C))
            # step u predicts rows u+1 .. u+H (offset 0): the window alignment
            expected = np.arange(start + 1, start + 1 + H) + 0.5
            np.testing.assert_array_equal(targets[r, 0, :, 0], expected)
    assert i + 1 == layout.chunks


def test_skipping_chunks_gives_the_same_later_batches(counting_shards):
    layout = StreamLayout(ShardSet(counting_shards), chunk_length=C, streams=B)
    everything = list(layout.batches())
    later = list(layout.batches(skip=7))
    assert len(later) == len(everything) - 7
    np.testing.assert_array_equal(later[0][0], everything[7][0])


def test_too_many_streams_for_the_split_is_a_clear_error(counting_shards):
    from lstm_pipeline.errors import WindowingError

    with pytest.raises(WindowingError, match=r"Lower training.tbptt.streams"):
        StreamLayout(ShardSet(counting_shards), chunk_length=C, streams=200)


def test_state_carries_across_chunks_like_one_long_call():
    keras.utils.set_random_seed(0)
    sequence = build_sequence_model(SPEC, n_features=2, horizon=H, n_targets=1)
    values = np.random.default_rng(0).normal(size=(1234, 2)).astype("float32")
    whole = sequence.predict(values[None], verbose=0)[0]
    chunked = predict_stateful(sequence, values, chunk_length=100)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)
    # and a window model: only the output after the last step
    window = build_model(SPEC, input_length=None, n_features=2, horizon=H)
    np.testing.assert_allclose(
        predict_stateful(window, values, 64), window.predict(values[None], verbose=0)[0], atol=1e-5
    )
    # without carried state the chunks would not match: the test can fail
    restarted = np.concatenate(
        [sequence.predict(values[None, s : s + 100], verbose=0)[0] for s in range(0, 1234, 100)]
    )
    assert np.abs(restarted - whole).max() > 1e-3


def test_the_window_twin_predicts_what_the_sequence_model_says_at_the_window_end():
    sequence = build_sequence_model(SPEC, n_features=2, horizon=H, n_targets=1)
    twin = window_model_from(sequence, SPEC, input_length=30)
    values = np.random.default_rng(1).normal(size=(1, 30, 2)).astype("float32")
    np.testing.assert_allclose(
        twin.predict(values, verbose=0)[0], sequence.predict(values, verbose=0)[0, -1], atol=1e-6
    )


def test_a_stream_never_sees_another_streams_state():
    model = stateful_model()
    rng = np.random.default_rng(0)
    chunks = rng.normal(size=(3, B, C, 2)).astype("float32")
    changed = chunks.copy()
    changed[:, 0] = rng.normal(size=(3, C, 2))  # stream 0 differs, others are the same
    outputs = []
    for data in (chunks, changed):
        for layer in model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()
        outputs.append([np.asarray(model(chunk, training=False)) for chunk in data])
    for step in range(3):
        np.testing.assert_array_equal(outputs[0][step][1:], outputs[1][step][1:])
        assert not np.array_equal(outputs[0][step][0], outputs[1][step][0])


class StateProbe(keras.callbacks.Callback):
    """Records the first recurrent layer's state norm before batch 0 of train and val."""

    def __init__(self):
        super().__init__()
        self.train, self.val = [], []

    def _norm(self):
        layer = next(x for x in self.model.layers if getattr(x, "stateful", False))
        return float(np.abs(layer.states[0].numpy()).sum())

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.train.append(self._norm())

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.train.append(self._norm())

    def on_test_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.val.append(self._norm())


def test_states_reset_at_each_epoch_and_before_validation(shards, tmp_path):
    probe = StateProbe()
    train(
        stateful_model(),
        *shards,
        tbptt_config(tmp_path, epochs=2),
        extra_callbacks=[probe],
        verbose=0,
    )
    # per epoch: zero before batch 0, carried (non-zero) after it
    assert probe.train[0] == 0 and probe.train[1] > 0
    assert probe.train[2] == 0 and probe.train[3] > 0
    assert probe.val == [0, 0]


@pytest.mark.parametrize("precision", ["float32", "mixed_float16", "mixed_bfloat16"])
def test_tbptt_with_accumulation_resumes_exactly(shards, tmp_path, precision):
    settings = {"epochs": 2, "accumulation_steps": 2, "precision": precision}
    whole, history = train(
        stateful_model(precision), *shards, tbptt_config(tmp_path / "a", **settings), verbose=0
    )
    resumable = tbptt_config(tmp_path / "b", **settings)
    with pytest.raises(KeyboardInterrupt):
        train(
            stateful_model(precision),
            *shards,
            resumable,
            extra_callbacks=[StopAfterUpdates(7)],
            verbose=0,
        )
    state = json.loads((tmp_path / "b/checkpoints/state.json").read_text())
    assert state["batches_done"] == 8 and not state["finished"]  # mid-epoch, states saved
    resumed, resumed_history = train(stateful_model(precision), *shards, resumable, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed_history["val_loss"] == history["val_loss"]


def test_a_stateless_model_is_refused_in_tbptt_mode(shards, tmp_path):
    from lstm_pipeline.errors import ModelSpecError

    model = build_model(SPEC, input_length=16, n_features=2, horizon=H)
    with pytest.raises(ModelSpecError, match=r"stateful model with batch size 4"):
        train(model, *shards, tbptt_config(tmp_path), verbose=0)
