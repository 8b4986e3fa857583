"""The model a training run starts from: the configured architecture for the windows'
shapes (or, for truncated BPTT, the stateful per-step model), and its summary.

    >>> model, summary = build_untrained(spec, input_length=168, n_features=7, horizon=24,
    ...                                  n_targets=1, precision="mixed_float16")
    >>> model, summary = build_untrained(spec, input_length=168, n_features=7, horizon=24,
    ...                                  n_targets=1, stateful_chunks=(32, 256))  # B, C
"""

import logging

from lstm_pipeline.models.registry import build_model
from lstm_pipeline.models.sequence import build_sequence_model
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.models.summary import summarize

logger = logging.getLogger(__name__)


def build_untrained(
    spec: ModelSpec,
    *,
    input_length: int,
    n_features: int,
    horizon: int,
    n_targets: int,
    precision: str = "float32",
    stateful_chunks: tuple[int, int] | None = None,
):
    """Build (not compile) the model ``spec`` describes, under ``precision``.

    ``stateful_chunks`` = (streams, chunk_length) builds the stateful per-step model that
    truncated BPTT trains (batch = streams, chunk_length steps per call) instead of the
    window model. Returns ``(model, summary)``: the summary of :func:`summarize` at the
    steps the model sees per call, plus the spec. Raises :class:`ModelSpecError` for a spec
    that cannot describe a model for these shapes.
    """
    if stateful_chunks is not None:
        streams, steps = stateful_chunks
        model = build_sequence_model(
            spec,
            n_features=n_features,
            horizon=horizon,
            n_targets=n_targets,
            batch_size=streams,
            chunk_length=steps,
            stateful=True,
            precision=precision,
        )
    else:
        steps = input_length
        model = build_model(
            spec,
            input_length=input_length,
            n_features=n_features,
            horizon=horizon,
            n_targets=n_targets,
            precision=precision,
        )
    summary = {**summarize(model, steps), "spec": spec.model_dump()}
    _log_summary(summary, steps)
    return model, summary


def _log_summary(summary: dict, steps: int) -> None:
    """Size in the log; a warning per recurrent layer that cannot use cuDNN on a GPU."""
    logger.info(
        "%s: %s parameters, about %.1f KB of activations per sample at %d steps",
        summary["name"],
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
