"""Modelling node: the train shards' window shapes + model parameters -> an untrained model."""

import logging

from lstm_pipeline.models import ModelSpec, build_model, summarize
from lstm_pipeline.windows.reader import ShardSet

logger = logging.getLogger(__name__)


def build_untrained_model(train_shards: ShardSet, modelling: ModelSpec, precision: str):
    """Build the configured architecture for the shards' input and target shapes, under the
    training precision (layers keep their dtype policy when saved)."""
    m = train_shards.manifest
    input_length, n_features = m.shapes["inputs"]
    horizon, n_targets = m.shapes["targets"]
    model = build_model(
        modelling,
        input_length=input_length,
        n_features=n_features,
        horizon=horizon,
        n_targets=n_targets,
        precision=precision,
    )
    summary = summarize(model, input_length)
    summary["spec"] = modelling.model_dump()
    logger.info(
        "%s: %s parameters, about %.1f KB of activations per sample at input_length %d",
        modelling.architecture,
        f"{summary['parameters']:,}",
        summary["activation_bytes_per_sample"] / 1024,
        input_length,
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
