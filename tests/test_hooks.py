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


def test_a_node_s_time_includes_saving_its_outputs(caplog, monkeypatch):
    """Windowing does its work while its shards are saved: that time belongs to the node."""
    import logging

    from lstm_pipeline import hooks as hooks_module
    from lstm_pipeline.hooks import NodeTimingHooks

    clock = iter([10.0, 10.5, 14.0])  # first input loaded, node starts, last output saved
    monkeypatch.setattr(hooks_module.time, "perf_counter", lambda: next(clock))
    node = SimpleNamespace(name="window_train_split")
    timing = NodeTimingHooks()
    timing.before_dataset_loaded(node=node)
    timing.before_node_run(node=node)
    timing.after_node_run(node=node, outputs={"train_shards": object(), "other": 1})
    with caplog.at_level(logging.INFO, logger="lstm_pipeline.hooks"):
        timing.after_dataset_saved(dataset_name="other", node=node)
        assert not caplog.records  # one output still to save
        timing.after_dataset_saved(dataset_name="train_shards", node=node)
    assert "Node 'window_train_split' took 4 s with loading and saving" in caplog.text
