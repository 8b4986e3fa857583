"""Gradient accumulation: k micro-batches of b samples == one batch of k*b samples."""

import keras
import numpy as np
import pytest

from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.optimizers import build_optimizer, current_learning_rate, updates_done
from tests.training.conftest import H, L, tiny_model

B, K, UPDATES = 8, 4, 3


def trained_weights(precision, batch, accumulation, optimizer="sgd"):
    model = tiny_model(precision)
    settings = TrainingConfig(
        batch_size=batch,
        accumulation_steps=accumulation,
        precision=precision,
        optimizer=optimizer,
        learning_rate=0.05,
        clip_norm=None,
    )
    model.compile(optimizer=build_optimizer(settings, UPDATES), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B * K * UPDATES, L, 2)).astype("float32")
    y = rng.normal(size=(B * K * UPDATES, H, 1)).astype("float32")
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    assert updates_done(model.optimizer) == len(x) // (batch * accumulation)
    return model.get_weights()


# Adam under float16 is left out: it divides by sqrt(v), so the float16 rounding of
# near-zero gradients (summed over 32 samples at once vs 4 x 8) becomes an lr-sized step.
@pytest.mark.parametrize(
    ("precision", "optimizer"),
    [("float32", "sgd"), ("float32", "adam"), ("mixed_float16", "sgd")],
)
def test_k_micro_batches_update_like_one_big_batch(precision, optimizer):
    accumulated = trained_weights(precision, B, K, optimizer)
    big_batch = trained_weights(precision, B * K, 1, optimizer)
    untrained = tiny_model(precision).get_weights()
    for a, b in zip(accumulated, big_batch, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert any(not np.allclose(a, s) for a, s in zip(accumulated, untrained, strict=True))


def test_without_accumulation_the_results_differ():
    """The test above can fail: k separate updates of b samples are not one of k*b."""
    separate = trained_weights("float32", B, 1)
    big_batch = trained_weights("float32", B * K, 1)
    assert max(float(np.abs(a - b).max()) for a, b in zip(separate, big_batch, strict=True)) > 1e-3


def test_schedule_counts_optimizer_updates_not_micro_batches():
    settings = TrainingConfig(
        accumulation_steps=K, schedule="cosine", learning_rate=0.1, min_learning_rate=0.0
    )
    model = tiny_model()
    model.compile(optimizer=build_optimizer(settings, total_updates=4), loss="mse")
    x = np.zeros((B * K * 2, L, 2), "float32")
    y = np.zeros((B * K * 2, H, 1), "float32")
    model.fit(x, y, batch_size=B, epochs=1, shuffle=False, verbose=0)
    assert updates_done(model.optimizer) == 2
    # halfway through a cosine of 4 updates: 0.1 * (1 + cos(pi/2)) / 2
    assert current_learning_rate(model.optimizer) == pytest.approx(0.05, rel=1e-5)


def test_mixed_float16_wraps_the_optimizer_for_loss_scaling():
    optimizer = build_optimizer(TrainingConfig(precision="mixed_float16", accumulation_steps=2), 1)
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert optimizer.inner_optimizer.gradient_accumulation_steps == 2
