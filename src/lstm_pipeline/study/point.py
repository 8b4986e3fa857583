"""One point of the study, trained and measured in a child process of its own, so that its
peak memory (``ru_maxrss``) is its own and no point inherits another's TensorFlow state.

The parent writes the point's spec (JSON) and runs ``python -m lstm_pipeline.study.point
<spec.json>``; the child builds the model with the caller's ``build`` function (named as
``module:function``, the modelling stage's), trains it with
:func:`lstm_pipeline.trainer.loop.train` (the project's early stopping on validation, best
weights kept), scores those weights on the test shards and prints one JSON line.
"""

import importlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def point_training(
    training: dict, batch_size: int, epochs: int, samples: int | None, folder, steps=None
):
    """The point's training settings: the study's, with its batch size and epochs, at most
    ``samples`` train samples an epoch (the same data for every batch size) or ``steps``
    batches an epoch (the same number of updates; None and None: every sample), its own
    checkpoint folder (best weights for early stopping), no step checkpoints and no
    TensorBoard."""
    if steps is None and samples is not None:
        steps = max(1, math.ceil(samples / batch_size))
    return {
        **training,
        "batch_size": batch_size,
        "epochs": epochs,
        "max_steps_per_epoch": steps,
        "checkpoint_dir": str(Path(folder) / "checkpoints"),
        "checkpoint_every_steps": 0,
        "checkpoint_every_epochs": epochs + 1,  # only the final model and the best weights
        "tensorboard_dir": None,
        "retrain": True,
    }


def measure_point(spec: dict, folder: Path, timeout: float) -> dict:
    """Run ``spec`` in a child process; its result, with ``wall_s`` (start-up included), or
    ``{"error": ...}`` when it fails or runs past ``timeout`` seconds. ``folder`` (the
    point's checkpoints and spec) is removed afterwards."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps(spec))
    command = [sys.executable, "-m", "lstm_pipeline.study.point", str(folder / "spec.json")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"ran past study.timeout = {timeout} s"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return {**json.loads(lines[-1]), "wall_s": time.perf_counter() - started}


def run_point(spec: dict) -> dict:
    """Train and score the point in this process (the child's work)."""
    import keras

    from lstm_pipeline.models.spec import ModelSpec
    from lstm_pipeline.trainer.config import TrainingConfig
    from lstm_pipeline.trainer.loop import train
    from lstm_pipeline.windows.reader import ShardSet

    module, name = spec["build"].split(":")
    build = getattr(importlib.import_module(module), name)
    modelling = ModelSpec.model_validate(spec["modelling"])
    training = TrainingConfig.model_validate(spec["training"])
    task, seed = spec["task"], spec["seed"]
    sets = {split: ShardSet(path) for split, path in spec["shards"].items()}
    keras.utils.set_random_seed(seed)  # the initial weights follow the seed
    model, _ = build(spec["record"], modelling, training, task)
    started = time.perf_counter()
    model, history = train(
        model, sets["train"], sets["val"], training, seed=seed, verbose=0, task=task
    )
    seconds = time.perf_counter() - started
    test = _test_scores(model, sets, training, seed, task)
    return {
        **history_scores(history),
        **test,
        "train_s": seconds,
        "epoch_s": seconds / max(len(history.get("loss", [])), 1),
    }


def _test_scores(model, sets: dict, training, seed: int, task: str) -> dict:
    """Loss (and accuracy) of the kept weights on every test window or case once."""
    from lstm_pipeline.trainer.feeds import feed_for

    data = feed_for(sets["train"], sets["test"], training, seed, task).validation_dataset()
    logs = model.evaluate(data, verbose=0, return_dict=True)
    return {f"test_{key}": float(value) for key, value in logs.items()}


def history_scores(history: dict) -> dict:
    """The kept epoch's validation scores (the lowest val_loss: early stopping restores its
    weights), the epochs run and the median samples/s of the epochs after the first (which
    traces the graph; it counts only when it is the only one)."""
    losses = [math.inf if math.isnan(v) else v for v in history.get("val_loss", [])]
    kept = min(range(len(losses)), key=losses.__getitem__) if losses else None
    rates = history.get("samples_per_s", [])
    rates = [r for r in (rates[1:] if len(rates) > 1 else rates) if r]
    scores = {
        "epochs_run": len(history.get("loss", [])),
        "best_epoch": None if kept is None else kept + 1,
        "samples_per_s": float(sorted(rates)[len(rates) // 2]) if rates else math.nan,
    }
    for key in ("val_loss", "val_accuracy"):
        values = history.get(key)
        scores[key] = float(values[kept]) if values and kept is not None else math.nan
    return scores


def main(spec_path: str) -> None:
    import resource

    result = run_point(json.loads(Path(spec_path).read_text()))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
