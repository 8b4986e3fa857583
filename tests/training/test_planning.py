"""The batch planner: measured in child processes, largest batch under the budget."""

import pytest

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models import ModelSpec
from lstm_pipeline.pipelines.planning.nodes import plot_plan
from lstm_pipeline.trainer.planning import best_batch, plan_batches

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


def test_the_largest_batch_that_fits_is_chosen_and_plotted():
    result = plan(budget_mb=100_000)
    assert result["device"] == "cpu"
    points = result["grid"]
    assert [p["batch_size"] for p in points] == [2, 8]  # small to large
    assert all(p["fits"] and p["peak_mb"] > 100 and p["samples_per_s"] > 0 for p in points)
    assert best_batch(result, 12) == 8
    figure = plot_plan(result)
    assert len(figure.axes) == 2


def test_an_impossible_budget_is_refused_with_what_was_measured():
    result = plan(budget_mb=1)
    assert result["best"] == {}
    assert result["grid"][1]["note"].startswith("skipped")  # no point measuring larger
    with pytest.raises(ModelSpecError, match=r"No batch size fits .*smallest batch tried \(2\)"):
        best_batch(result, 12)


def test_auto_batch_size_needs_a_budget():
    from pydantic import ValidationError

    from lstm_pipeline.trainer.config import TrainingConfig

    with pytest.raises(ValidationError, match="memory_budget_mb"):
        TrainingConfig(batch_size="auto")
    assert TrainingConfig(batch_size="auto", memory_budget_mb=2000).batch_size == "auto"
