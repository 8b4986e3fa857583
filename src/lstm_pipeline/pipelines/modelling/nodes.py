"""Modelling node: the windows' shapes (windowing record) + model parameters -> an untrained
model."""

import logging

from lstm_pipeline.models import ModelSpec, build_model, summarize
from lstm_pipeline.models.sequence import build_sequence_model
from lstm_pipeline.trainer.config import TrainingConfig

logger = logging.getLogger(__name__)


def build_untrained_model(windowing_record: dict, modelling: ModelSpec, training: TrainingConfig):
    """Build the configured architecture for the shards' input and target shapes, under the
    training precision (layers keep their dtype policy when saved). With truncated BPTT:
    the stateful per-step model, batch = streams, chunk_length steps per call."""
    input_length, n_features = windowing_record["shapes"]["inputs"]
    horizon, n_targets = windowing_record["shapes"]["targets"]
    if training.tbptt.enabled:
        steps = training.tbptt.chunk_length
        model = build_sequence_model(
            modelling,
            n_features=n_features,
            horizon=horizon,
            n_targets=n_targets,
            batch_size=training.tbptt.streams,
            chunk_length=steps,
            stateful=True,
            precision=training.precision,
        )
    else:
        steps = input_length
        model = build_model(
            modelling,
            input_length=input_length,
            n_features=n_features,
            horizon=horizon,
            n_targets=n_targets,
            precision=training.precision,
        )
    summary = summarize(model, steps)
    summary["spec"] = modelling.model_dump()
    summary["truncated_bptt"] = training.tbptt.model_dump()
    logger.info(
        "%s: %s parameters, about %.1f KB of activations per sample at %d steps",
        model.name,
        f"{summary['parameters']:,}",
        summary["activation_bytes_per_sample"] / 1024,
        steps,
    )
    for layer in summary["layers"]:
        cudnn = layer.get("cudnn")
        if cudnn and not cudnn["eligible"]:
            logger.warning(
                "Layer '%s' cannot use the cuDNN kernel on a GPU: %s",
                layer["name"],
                "; ".join(cudnn["reasons"]),
            )
    return model, summary
