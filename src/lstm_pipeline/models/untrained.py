"""The model a training run starts from: the configured architecture for the windows'
shapes (or, for truncated BPTT, the stateful per-step model), and its summary.

    >>> model, summary = build_untrained(spec, input_length=168, n_features=7, horizon=24,
    ...                                  n_targets=1, precision="mixed_float16")
    >>> model, summary = build_untrained(spec, input_length=168, n_features=7, horizon=24,
    ...                                  n_targets=1, stateful_chunks=(32, 256))  # B, C
    >>> model, summary = build_untrained(spec, input_length=None, n_features=1, horizon=1,
    ...                                  n_targets=1, task="classification", n_classes=2)
"""

import logging

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.registry import build_model
from lstm_pipeline.models.sequence import build_sequence_model
from lstm_pipeline.models.side import NO_SIDE_INPUTS, SideInputs
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.models.summary import summarize
from lstm_pipeline.task import Task

logger = logging.getLogger(__name__)


def build_untrained(
    spec: ModelSpec,
    *,
    input_length: int | None,
    n_features: int,
    horizon: int,
    n_targets: int,
    precision: str = "float32",
    stateful_chunks: tuple[int, int] | None = None,
    task: Task = "forecast",
    n_classes: int | None = None,
    summary_length: int | None = None,
    side: SideInputs = NO_SIDE_INPUTS,
):
    """Build (not compile) the model ``spec`` describes, under ``precision``.

    ``stateful_chunks`` = (streams, chunk_length) builds the stateful per-step model that
    truncated BPTT trains (batch = streams, chunk_length steps per call) instead of the
    window model. ``task`` "classification" builds the masked model over sequences of any
    length with ``n_classes`` outputs (horizon and n_targets do not apply). ``side``: the
    forecaster's inputs beside the window (:mod:`lstm_pipeline.models.side`). Returns
    ``(model, summary)``: the summary of :func:`summarize` at the steps the model sees per
    call (``summary_length`` for sequences of any length), plus the spec and task. Raises
    :class:`ModelSpecError` for a spec that cannot describe a model for these shapes.
    """
    if stateful_chunks is None:
        model = build_model(
            spec,
            input_length=input_length,
            n_features=n_features,
            horizon=horizon,
            n_targets=n_targets,
            precision=precision,
            task=task,
            n_classes=n_classes,
            side=side,
        )
        steps = input_length or summary_length or 1
    else:
        shapes = (n_features, horizon, n_targets)
        model = _stateful_model(spec, shapes, precision, stateful_chunks, task, side)
        steps = stateful_chunks[1]
    summary = {**summarize(model, steps), "spec": spec.model_dump(), "task": task}
    _log_summary(summary, steps)
    return model, summary


def _stateful_model(spec, shapes: tuple, precision, chunks, task: str, side: SideInputs):
    """The stateful per-step model truncated BPTT trains (batch = streams)."""
    if side:
        raise ModelSpecError(
            f"Truncated BPTT streams the series step by step: its stateful model takes no "
            f"side inputs ({side}). Set windowing.future_features: [] and "
            f"normalisation.series_input to none or onehot, or turn training.tbptt off."
        )
    n_features, horizon, n_targets = shapes
    if task == "classification":
        raise ModelSpecError(
            "Truncated BPTT trains forecasting models: a classification model reads whole "
            "sequences. Turn training.tbptt.enabled off."
        )
    streams, steps = chunks
    return build_sequence_model(
        spec,
        n_features=n_features,
        horizon=horizon,
        n_targets=n_targets,
        batch_size=streams,
        chunk_length=steps,
        stateful=True,
        precision=precision,
    )


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
