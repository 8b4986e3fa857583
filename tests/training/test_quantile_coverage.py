"""A quantile head trained on the pinball loss learns the noise it cannot predict: on a
sine plus Gaussian noise of known sigma, its 0.1-0.9 interval covers about 80% of unseen
actuals and is about as wide as the normal distribution says (2 x 1.2816 sigma)."""

import keras
import numpy as np
import pytest

from lstm_pipeline.evaluation.quantiles import QuantileScores
from lstm_pipeline.models import ModelSpec, build_model
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.objectives import compile_arguments

SIGMA, L, H, PERIOD = 0.3, 24, 2, 24
LEVELS = [0.1, 0.5, 0.9]
Z_90 = 1.2815515655446004  # the standard normal's 0.9 quantile


def noisy_sine_windows(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, L, 1) inputs and (count, H, 1) targets of sin(2 pi t / 24) + N(0, SIGMA)."""
    rng = np.random.default_rng(seed)
    t = np.arange(count + L + H)
    y = np.sin(2 * np.pi * t / PERIOD) + rng.normal(scale=SIGMA, size=t.size)
    rows = np.arange(count)[:, None]
    inputs = y[rows + np.arange(L)][..., None]
    targets = y[rows + L + np.arange(H)][..., None]
    return inputs.astype("float32"), targets.astype("float32")


@pytest.fixture(scope="module")
def scores():
    keras.utils.set_random_seed(0)
    spec = ModelSpec(recurrent={"units": [8]}, quantiles=LEVELS)
    model = build_model(spec, input_length=L, n_features=1, horizon=H)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        **compile_arguments("forecast", TrainingConfig(), LEVELS),
    )
    x, y = noisy_sine_windows(2000, seed=0)
    model.fit(x, y, batch_size=64, epochs=10, verbose=0, shuffle=True)
    test_x, test_y = noisy_sine_windows(2000, seed=1)  # other noise: unseen actuals
    predicted = model.predict(test_x, verbose=0)
    result = QuantileScores(LEVELS, 1)
    result.update(test_y, {q: predicted[..., k] for k, q in enumerate(LEVELS)})
    return result.summary(["y"])["per_target"]["y"]


def test_the_80_percent_interval_covers_about_80_percent_of_unseen_actuals(scores):
    interval = scores["intervals"]["0.1-0.9"]
    assert interval["nominal"] == 0.8
    assert interval["coverage"] == pytest.approx(0.8, abs=0.04)


def test_the_interval_is_as_wide_as_the_noise_and_each_level_is_calibrated(scores):
    width = scores["intervals"]["0.1-0.9"]["mean_width"]
    assert width == pytest.approx(2 * Z_90 * SIGMA, rel=0.1)
    for level, below in scores["fraction_below"].items():
        assert below == pytest.approx(float(level), abs=0.05)
