"""Batch size x input length planning from measured memory and throughput.

Each point trains a few steps of the configured model on random data of that shape: on a
GPU in this process (peak from ``tf.config.experimental.get_memory_info``), on CPU in a
child process (its peak RSS, as ``/usr/bin/time -v`` reports it, so points do not pollute
each other). The largest batch whose peak fits the budget is chosen per input length.

    >>> plan = plan_batches(spec, n_features=7, horizon=24, n_targets=1,
    ...                     input_lengths=[168, 720], batch_sizes=[32, 64, 128, 256],
    ...                     budget_mb=4000)
    >>> plan["best"]      # {"168": 256, "720": 64}

Classification models take sequences of any length; they are measured at the longest case
(``task="classification"``, ``n_classes``; ``input_lengths=[max_length]``), on random
sequences with every step real and random labels.
"""

import json
import logging
import os
import subprocess
import sys

from lstm_pipeline.errors import ModelSpecError
from lstm_pipeline.models.spec import ModelSpec

logger = logging.getLogger(__name__)


def plan_batches(
    spec: ModelSpec,
    *,
    n_features: int,
    horizon: int,
    n_targets: int,
    input_lengths: list[int],
    batch_sizes: list[int],
    budget_mb: float,
    precision: str = "float32",
    steps: int = 3,
    task: str = "forecast",
    n_classes: int | None = None,
    side: dict | None = None,
) -> dict:
    """Measure every input length x batch size (skipping batches larger than one already
    over budget) and pick the largest batch under ``budget_mb`` per length.

    Returns ``{"device", "memory_budget_mb", "precision", "memory_measure", "grid": [one
    point per length x batch], "best": {"<length>": batch}}``; a length where nothing fits is
    absent from ``best`` (:func:`best_batch` says so). For ``task="classification"``
    horizon and n_targets do not apply and ``n_classes`` is the number of classes.
    ``side``: a forecaster's side inputs (``{"future": n, "series": k}``), measured with
    random values. Raises RuntimeError when a measurement fails."""
    device = "gpu" if _gpu_available() else "cpu"
    measure = _measure_on_gpu if device == "gpu" else _measure_in_child
    common = {
        "spec": spec.model_dump(),
        "n_features": n_features,
        "horizon": horizon,
        "n_targets": n_targets,
        "precision": precision,
        "steps": steps,
        "task": task,
        "n_classes": n_classes,
        "side": side or {},
    }
    grid = []
    for length in input_lengths:
        setups = [
            {**common, "input_length": length, "batch_size": batch} for batch in sorted(batch_sizes)
        ]
        grid += _measure_small_to_large(setups, budget_mb, measure)
    return _plan(device, budget_mb, precision, grid)


def _plan(device: str, budget_mb: float, precision: str, grid: list[dict]) -> dict:
    """The measured grid, what it measured, and the largest batch that fits per length."""
    return {
        "device": device,
        "memory_budget_mb": budget_mb,
        "precision": precision,
        "memory_measure": "GPU peak bytes in use"
        if device == "gpu"
        else "peak RSS of a child process (includes about 600 MB of TensorFlow itself)",
        "grid": grid,
        "best": largest_fitting(grid),
    }


def _measure_small_to_large(setups: list[dict], budget_mb: float, measure) -> list[dict]:
    """The points of one input length, batches in increasing order; once one is over the
    budget, larger ones are not measured."""
    points, over = [], False
    for setup in setups:
        if over:
            note = "skipped: a smaller batch was already over budget"
            points.append(_point(setup, None, None, False, note))
            continue
        measured = measure(setup)
        fits = measured["peak_mb"] <= budget_mb
        over = not fits
        points.append(_point(setup, measured["peak_mb"], measured["samples_per_s"], fits, None))
        logger.info(
            "input_length %d, batch %d: peak %.0f MB, %.0f samples/s%s",
            setup["input_length"],
            setup["batch_size"],
            measured["peak_mb"],
            measured["samples_per_s"],
            "" if fits else " (over budget)",
        )
    return points


def largest_fitting(grid: list[dict]) -> dict[str, int]:
    """The largest batch whose point fits the budget, per input length: ``{"168": 256}``."""
    best: dict[str, int] = {}
    for point in grid:
        length = str(point["input_length"])
        if point["fits"] and point["batch_size"] > best.get(length, 0):
            best[length] = point["batch_size"]
    return best


def best_batch(plan: dict, input_length: int) -> int:
    """The planned batch for ``input_length``, or a clear error when nothing fits."""
    chosen = plan["best"].get(str(input_length))
    if chosen is None:
        measured = [p for p in plan["grid"] if p["input_length"] == input_length and p["peak_mb"]]
        smallest = min(measured, key=lambda p: p["batch_size"]) if measured else None
        detail = (
            f"the smallest batch tried ({smallest['batch_size']}) peaked at "
            f"{smallest['peak_mb']:.0f} MB"
            if smallest
            else "no batch size was measured"
        )
        raise ModelSpecError(
            f"No batch size fits training.memory_budget_mb {plan['memory_budget_mb']} at "
            f"input_length {input_length}: {detail}. Raise the budget, shorten the window, "
            f"use a smaller model or mixed precision, or try smaller batch sizes."
        )
    return chosen


def _point(setup: dict, peak_mb, samples_per_s, fits: bool, note: str | None) -> dict:
    return {
        "input_length": setup["input_length"],
        "batch_size": setup["batch_size"],
        "peak_mb": peak_mb,
        "samples_per_s": samples_per_s,
        "fits": fits,
        "note": note,
    }


def _gpu_available() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _measure_in_child(setup: dict) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "lstm_pipeline.trainer.planning", json.dumps(setup)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    output, errors = process.communicate()
    if process.returncode:
        raise RuntimeError(
            f"Measuring batch {setup['batch_size']} at input_length {setup['input_length']} "
            f"failed:\n{errors.decode()[-2000:]}"
        )
    # the child reports its own peak RSS (getrusage), what /usr/bin/time -v would show
    return json.loads(output.decode().strip().splitlines()[-1])


def _measure_on_gpu(setup: dict) -> dict:
    import tensorflow as tf

    tf.config.experimental.reset_memory_stats("GPU:0")
    result = _train_steps(setup)
    result["peak_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return result


def _train_steps(setup: dict) -> dict:
    """Train a few steps of the model ``setup`` describes on random data: samples/s and this
    process's peak RSS in MB."""
    import resource
    import time

    import keras

    keras.utils.set_random_seed(0)
    model, x, y, loss = _MEASURED[setup.get("task", "forecast")](setup)
    optimizer = keras.optimizers.Adam()
    if setup["precision"] == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss=loss)
    model.train_on_batch(x, y)  # tracing
    started = time.perf_counter()
    for _ in range(setup["steps"]):
        model.train_on_batch(x, y)
    seconds = time.perf_counter() - started
    return {
        "samples_per_s": setup["batch_size"] * setup["steps"] / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _forecast_setup(setup: dict):
    """A forecasting model, a random batch of windows and zero targets, the loss."""
    import numpy as np

    from lstm_pipeline.models.registry import build_model
    from lstm_pipeline.models.side import SideInputs, random_side_batch

    spec, side = ModelSpec.model_validate(setup["spec"]), SideInputs(**setup.get("side", {}))
    model = build_model(
        spec,
        input_length=setup["input_length"],
        n_features=setup["n_features"],
        horizon=setup["horizon"],
        n_targets=setup["n_targets"],
        precision=setup["precision"],
        side=side,
    )
    batch, rng = setup["batch_size"], np.random.default_rng(0)
    x = rng.normal(size=(batch, setup["input_length"], setup["n_features"])).astype("float32")
    if side:
        x = {"inputs": x, **random_side_batch(side, batch, setup["horizon"], rng)}
    y = np.zeros((batch, setup["horizon"], setup["n_targets"]))
    return model, x, y.astype("float32"), _forecast_loss(spec)


def _forecast_loss(spec: ModelSpec):
    """mse, or the pinball loss for a quantile head (its output has one more axis)."""
    if not spec.quantiles:
        return "mse"
    from lstm_pipeline.models.quantiles import PinballLoss

    return PinballLoss(spec.quantiles)


def _classification_setup(setup: dict):
    """A classifier, a random batch of full-length sequences and random labels, the loss."""
    import numpy as np

    from lstm_pipeline.models.registry import build_model

    model = build_model(
        ModelSpec.model_validate(setup["spec"]),
        n_features=setup["n_features"],
        precision=setup["precision"],
        task="classification",
        n_classes=setup["n_classes"],
    )
    batch, length, rng = setup["batch_size"], setup["input_length"], np.random.default_rng(0)
    values = rng.normal(size=(batch, length, setup["n_features"])).astype("float32")
    x = {"values": values, "mask": np.ones((batch, length), dtype=bool)}
    y = rng.integers(setup["n_classes"], size=batch).astype("int32")
    return model, x, y, "sparse_categorical_crossentropy"


_MEASURED = {"forecast": _forecast_setup, "classification": _classification_setup}


if __name__ == "__main__":  # one measurement, in a child process
    print(json.dumps(_train_steps(json.loads(sys.argv[1]))))
