"""Modelling node: the windows' shapes (windowing record) + model parameters -> an untrained
model."""

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.untrained import build_untrained
from lstm_pipeline.trainer.config import TrainingConfig


def build_untrained_model(windowing_record: dict, modelling: ModelSpec, training: TrainingConfig):
    """Build the configured architecture for the shards' input and target shapes.

    Args:
        windowing_record: the windowing stage's record (``shapes`` of inputs and targets).
        modelling: the architecture.
        training: its precision, and truncated BPTT (a stateful per-step model, batch =
            streams, chunk_length steps per call).

    Returns:
        The untrained model (layers keep their dtype policy when saved) and its summary.
    """
    input_length, n_features = windowing_record["shapes"]["inputs"]
    horizon, n_targets = windowing_record["shapes"]["targets"]
    tbptt = training.tbptt
    model, summary = build_untrained(
        modelling,
        input_length=input_length,
        n_features=n_features,
        horizon=horizon,
        n_targets=n_targets,
        precision=training.precision,
        stateful_chunks=(tbptt.streams, tbptt.chunk_length) if tbptt.enabled else None,
    )
    return model, {**summary, "truncated_bptt": tbptt.model_dump()}
