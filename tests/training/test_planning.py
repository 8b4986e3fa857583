"""The batch planner: measured in child processes, largest batch under the budget, plotted."""

import pytest

from lstm_pipeline.errors import ModelSpecError, SettingsError
from lstm_pipeline.models import ModelSpec
from lstm_pipeline.pipelines.planning.nodes import plot_plan
from lstm_pipeline.pipelines.training.nodes import plan_training_batch
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.loop import train
from lstm_pipeline.trainer.planning import best_batch, largest_fitting, plan_batches
from tests.training.conftest import config, tiny_model
from tests.training.helpers import StopAfterUpdates, assert_same_weights, same_history

SPEC = ModelSpec(recurrent={"units": [4]})


def plan(budget_mb):
    return plan_batches(
        SPEC,
        n_features=2,
        horizon=3,
        n_targets=1,
        input_lengths=[12],
        batch_sizes=[8, 2],
        budget_mb=budget_mb,
        steps=1,
    )


def test_every_point_is_measured_small_to_large_and_the_largest_that_fits_is_chosen():
    result = plan(budget_mb=100_000)
    assert result["device"] == "cpu"
    points = result["grid"]
    assert [p["batch_size"] for p in points] == [2, 8]  # small to large
    assert all(p["fits"] and p["peak_mb"] > 100 and p["samples_per_s"] > 0 for p in points)
    assert result["best"] == {"12": 8} and best_batch(result, 12) == 8


def point(length, batch, peak_mb, fits, samples_per_s=100.0):
    return {
        "input_length": length,
        "batch_size": batch,
        "peak_mb": peak_mb,
        "samples_per_s": samples_per_s if peak_mb else None,
        "fits": fits,
        "note": None if peak_mb else "skipped: a smaller batch was already over budget",
    }


GRID = [
    point(24, 8, 700.0, True, 80.0),
    point(24, 16, 900.0, True, 150.0),
    point(24, 32, 1300.0, False, 200.0),
    point(24, 64, None, False),
    point(96, 8, 1100.0, False, 30.0),
    point(96, 16, None, False),
]


def test_the_largest_batch_that_fits_is_chosen_per_length_and_plotted():
    assert largest_fitting(GRID) == {"24": 16}  # nothing fits at 96
    figure = plot_plan(
        {"grid": GRID, "best": {"24": 16}, "memory_budget_mb": 1000.0, "device": "cpu"}
        | {"precision": "float32"}
    )
    memory, speed = figure.axes
    lines = {line.get_label(): line for line in memory.get_lines()}
    # measured points only (skipped ones have nothing to plot), and the budget line
    assert list(lines["L=24"].get_xdata()) == [8, 16, 32]
    assert list(lines["L=24"].get_ydata()) == [700.0, 900.0, 1300.0]
    assert list(lines["L=96"].get_xdata()) == [8] and list(lines["L=96"].get_ydata()) == [1100]
    assert set(lines["budget"].get_ydata()) == {1000.0}
    speeds = {line.get_label(): list(line.get_ydata()) for line in speed.get_lines()}
    assert speeds["L=24"] == [80.0, 150.0, 200.0] and speeds["L=96"] == [30.0]
    assert memory.get_xscale() == "log" and "cpu, float32" in memory.get_title()


def test_an_impossible_budget_is_refused_with_what_was_measured():
    result = plan(budget_mb=1)
    assert result["best"] == {}
    assert result["grid"][1]["note"].startswith("skipped")  # no point measuring larger
    with pytest.raises(ModelSpecError, match=r"No batch size fits .*smallest batch tried \(2\)"):
        best_batch(result, 12)


def test_auto_batch_size_needs_a_budget():
    with pytest.raises(SettingsError, match="training.*memory_budget_mb"):
        TrainingConfig.model_validate({"batch_size": "auto"})
    assert TrainingConfig(batch_size="auto", memory_budget_mb=2000).batch_size == "auto"


def test_the_training_pipeline_passes_a_set_batch_size_through_unmeasured():
    planned = plan_training_batch({}, SPEC, TrainingConfig(batch_size=64), "forecast")
    assert planned == {"batch_size": 64, "planned": False}


def test_a_resumed_run_keeps_the_batch_size_it_started_with(shards, tmp_path):
    def settings(folder):
        return config(folder, batch_size="auto", memory_budget_mb=1000, max_steps_per_epoch=6)

    def run(folder, planned, extra=()):
        model = tiny_model()
        return train(
            model,
            *shards,
            settings(folder),
            planned_batch_size=planned,
            extra_callbacks=extra,
            verbose=0,
        )

    with pytest.raises(SettingsError, match="planned_batch_size"):
        train(tiny_model(), *shards, settings(tmp_path), verbose=0)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, 16, extra=[StopAfterUpdates(5)])
    resumed, history = run(tmp_path, 32)  # planned again, differently: the run keeps 16
    assert history["batch_size"] == [16, 16]
    whole, whole_history = run(tmp_path / "whole", 16)
    assert same_history(history, whole_history)
    assert_same_weights(whole, resumed)
