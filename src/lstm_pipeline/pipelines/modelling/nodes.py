"""Modelling node: the windows' shapes (windowing record) + model parameters + the run-wide
task -> an untrained model."""

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.side import SideInputs
from lstm_pipeline.models.untrained import build_untrained
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.config import TrainingConfig


def build_untrained_model(
    windowing_record: dict, modelling: ModelSpec, training: TrainingConfig, task: Task
):
    """Build the configured architecture for the shards' shapes and the task.

    Args:
        windowing_record: the windowing stage's record: ``shapes`` of inputs and targets
            and the ``side_inputs`` (forecast), or ``feature_columns``, ``classes`` and
            ``max_length`` (classification: sequences of any length, one output per class).
        modelling: the architecture.
        training: its precision, and truncated BPTT (a stateful per-step model, batch =
            streams, chunk_length steps per call).
        task: the run-wide task (``params:task``).

    Returns:
        The untrained model (layers keep their dtype policy when saved) and its summary.
    """
    return _BUILDERS[task](windowing_record, modelling, training)


def _forecaster(record: dict, modelling: ModelSpec, training: TrainingConfig):
    input_length, n_features = record["shapes"]["inputs"]
    horizon, n_targets = record["shapes"]["targets"]
    tbptt = training.tbptt
    model, summary = build_untrained(
        modelling,
        input_length=input_length,
        n_features=n_features,
        horizon=horizon,
        n_targets=n_targets,
        precision=training.precision,
        stateful_chunks=(tbptt.streams, tbptt.chunk_length) if tbptt.enabled else None,
        side=SideInputs.from_record(record),
    )
    return model, {**summary, "truncated_bptt": tbptt.model_dump()}


def _classifier(record: dict, modelling: ModelSpec, training: TrainingConfig):
    tbptt = training.tbptt
    model, summary = build_untrained(
        modelling,
        input_length=None,
        n_features=len(record["feature_columns"]),
        horizon=1,
        n_targets=1,
        precision=training.precision,
        stateful_chunks=(tbptt.streams, tbptt.chunk_length) if tbptt.enabled else None,
        task="classification",
        n_classes=len(record["classes"]),
        summary_length=record.get("max_length"),
    )
    return model, {**summary, "classes": list(record["classes"])}


_BUILDERS = {"forecast": _forecaster, "classification": _classifier}
