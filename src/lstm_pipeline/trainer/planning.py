"""Batch size x input length planning from measured memory and throughput.

Each point trains a few steps of the configured model on random data of that shape: on a
GPU in this process (peak from ``tf.config.experimental.get_memory_info``), on CPU in a
child process (its peak RSS, as ``/usr/bin/time -v`` reports it, so points do not pollute
each other). The largest batch whose peak fits the budget is chosen per input length.

    >>> plan = plan_batches(spec, n_features=7, horizon=24, n_targets=1,
    ...                     input_lengths=[168, 720], batch_sizes=[32, 64, 128, 256],
    ...                     budget_mb=4000)
    >>> plan["best"]      # {"168": 256, "720": 64}
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
) -> dict:
    """Measure the grid (skipping batches larger than one already over budget) and pick."""
    device = "gpu" if _gpu_available() else "cpu"
    grid, best = [], {}
    for length in input_lengths:
        over = False
        for batch in sorted(batch_sizes):
            if over:
                grid.append(
                    _point(
                        length,
                        batch,
                        None,
                        None,
                        False,
                        "skipped: a smaller batch was already over budget",
                    )
                )
                continue
            shape = {
                "spec": spec.model_dump(),
                "input_length": length,
                "n_features": n_features,
                "horizon": horizon,
                "n_targets": n_targets,
                "batch_size": batch,
                "precision": precision,
                "steps": steps,
            }
            measured = _measure_on_gpu(shape) if device == "gpu" else _measure_in_child(shape)
            fits = measured["peak_mb"] <= budget_mb
            over = not fits
            grid.append(
                _point(length, batch, measured["peak_mb"], measured["samples_per_s"], fits, None)
            )
            logger.info(
                "input_length %d, batch %d: peak %.0f MB, %.0f samples/s%s",
                length,
                batch,
                measured["peak_mb"],
                measured["samples_per_s"],
                "" if fits else " (over budget)",
            )
            if fits:
                best[str(length)] = batch
    return {
        "device": device,
        "memory_budget_mb": budget_mb,
        "precision": precision,
        "memory_measure": "GPU peak bytes in use"
        if device == "gpu"
        else "peak RSS of a child process (includes about 600 MB of TensorFlow itself)",
        "grid": grid,
        "best": best,
    }


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


def _point(length, batch, peak_mb, samples_per_s, fits, note) -> dict:
    return {
        "input_length": length,
        "batch_size": batch,
        "peak_mb": peak_mb,
        "samples_per_s": samples_per_s,
        "fits": fits,
        "note": note,
    }


def _gpu_available() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _measure_in_child(shape: dict) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "lstm_pipeline.trainer.planning", json.dumps(shape)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    output, errors = process.communicate()
    if process.returncode:
        raise RuntimeError(
            f"Measuring batch {shape['batch_size']} at input_length {shape['input_length']} "
            f"failed:\n{errors.decode()[-2000:]}"
        )
    # the child reports its own peak RSS (getrusage), what /usr/bin/time -v would show
    return json.loads(output.decode().strip().splitlines()[-1])


def _measure_on_gpu(shape: dict) -> dict:
    import tensorflow as tf

    tf.config.experimental.reset_memory_stats("GPU:0")
    result = _train_steps(shape)
    result["peak_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return result


def _train_steps(shape: dict) -> dict:
    import time

    import keras
    import numpy as np

    from lstm_pipeline.models.registry import build_model

    keras.utils.set_random_seed(0)
    model = build_model(
        ModelSpec.model_validate(shape["spec"]),
        input_length=shape["input_length"],
        n_features=shape["n_features"],
        horizon=shape["horizon"],
        n_targets=shape["n_targets"],
        precision=shape["precision"],
    )
    optimizer = keras.optimizers.Adam()
    if shape["precision"] == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss="mse")
    batch = shape["batch_size"]
    x = np.random.default_rng(0).normal(size=(batch, shape["input_length"], shape["n_features"]))
    y = np.zeros((batch, shape["horizon"], shape["n_targets"]))
    x, y = x.astype("float32"), y.astype("float32")
    model.train_on_batch(x, y)  # tracing
    started = time.perf_counter()
    for _ in range(shape["steps"]):
        model.train_on_batch(x, y)
    seconds = time.perf_counter() - started
    import resource

    return {
        "samples_per_s": batch * shape["steps"] / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":  # one measurement, in a child process
    print(json.dumps(_train_steps(json.loads(sys.argv[1]))))
