"""Planning node: measured memory and throughput over input length x batch size."""

import matplotlib

matplotlib.use("Agg")  # headless: Kedro runs have no display
import matplotlib.pyplot as plt

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.pipelines.planning.params import PlanningParams
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.planning import plan_batches


def plan_batch_sizes(
    windowing_record: dict,
    modelling: ModelSpec,
    training: TrainingConfig,
    planning: PlanningParams,
    task: str,
):
    """The table (JSON) and a plot of length x batch -> peak memory and samples/s, for the
    configured forecaster (windows of each input length) or classifier (sequences of each
    length: "does the best batch size change with sequence length?")."""
    plan = plan_batches(
        modelling,
        **_SHAPES[task](windowing_record),
        input_lengths=planning.input_lengths,
        batch_sizes=planning.batch_sizes,
        budget_mb=planning.memory_budget_mb,
        precision=training.precision,
        steps=planning.steps,
        task=task,
    )
    return plan, plot_plan(plan)


def _forecast_shapes(record: dict) -> dict:
    n_targets = len(record["target_columns"])
    return {
        "n_features": record["shapes"]["inputs"][1],
        "horizon": record["horizon"],
        "n_targets": n_targets,
        "side": record.get("side_inputs") or {},
    }


def _classifier_shapes(record: dict) -> dict:
    n_features = record["shapes"]["inputs"][1]
    return {
        "n_features": n_features,
        "horizon": 1,
        "n_targets": 1,
        "n_classes": len(record["classes"]),
    }


_SHAPES = {"forecast": _forecast_shapes, "classification": _classifier_shapes}


def plot_plan(plan: dict):
    """Two panels over batch size (log scale), one line per input length: peak memory with
    the budget as a dashed line, and training throughput. Skipped points are not drawn."""
    figure, (memory, speed) = plt.subplots(1, 2, figsize=(11, 4.2))
    for length in sorted({p["input_length"] for p in plan["grid"]}):
        points = [p for p in plan["grid"] if p["input_length"] == length and p["peak_mb"]]
        batches = [p["batch_size"] for p in points]
        memory.plot(batches, [p["peak_mb"] for p in points], marker="o", label=f"L={length}")
        speed.plot(batches, [p["samples_per_s"] for p in points], marker="o", label=f"L={length}")
    memory.axhline(plan["memory_budget_mb"], color="red", linestyle="--", label="budget")
    for axis, title, unit in (
        (memory, "peak memory", "MB"),
        (speed, "training throughput", "samples/s"),
    ):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("batch size")
        axis.set_ylabel(unit)
        axis.set_title(f"{title} ({plan['device']}, {plan['precision']})")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    return figure
