"""The seeding hook: one seed for Python, NumPy and TensorFlow/Keras."""

import random
from types import SimpleNamespace

import keras
import numpy as np

from lstm_pipeline.hooks import SeedingHooks


def draws():
    return (
        random.random(),
        float(np.random.random()),
        float(keras.random.uniform(()).numpy()),
    )


def seeded_draws(seed):
    hooks = SeedingHooks()
    hooks.after_context_created(SimpleNamespace(params={"seed": seed, "deterministic_ops": False}))
    hooks.before_pipeline_run()
    hooks.before_node_run(SimpleNamespace(tags={"tensorflow"}))
    return draws()


def test_same_seed_same_draws_everywhere_and_another_seed_others():
    first, again, other = seeded_draws(7), seeded_draws(7), seeded_draws(8)
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_nodes_without_tensorflow_tag_leave_tensorflow_alone():
    hooks = SeedingHooks()
    hooks.after_context_created(SimpleNamespace(params={"seed": 1}))
    keras.utils.set_random_seed(99)
    expected = float(keras.random.uniform(()).numpy())
    keras.utils.set_random_seed(99)
    hooks.before_node_run(SimpleNamespace(tags={"pandas"}))
    assert float(keras.random.uniform(()).numpy()) == expected
