"""Runs the project's trainer under tf.distribute in a process of its own (logical devices
and MultiWorkerMirroredStrategy must be set up before TensorFlow starts), saving each run's
final weights as ``<out>/<name>.npz`` for test_distributed.py to compare.

    python -m tests.training.distributed_driver mirrored SHARDS OUT
        two logical CPUs: ``none`` and ``mirrored`` runs of the same settings, and a
        ``mirrored`` run interrupted after 3 updates then resumed; under mixed_float16,
        ``none`` and ``mirrored`` again
    python -m tests.training.distributed_driver worker SHARDS OUT
        one worker of ``multi_worker`` (TF_CONFIG set by the test); then a second run in
        which worker 1 cannot see the chief's checkpoint folder
    python -m tests.training.distributed_driver worker_once SHARDS OUT
        one worker of ``multi_worker``, the first run only
"""

import contextlib
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402  # before anything else starts the runtime

print("tensorflow imported", flush=True)

if sys.argv[1] == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from lstm_pipeline.errors import CheckpointError  # noqa: E402
from lstm_pipeline.trainer.config import TrainingConfig  # noqa: E402
from lstm_pipeline.trainer.distributed import start_strategy  # noqa: E402
from lstm_pipeline.trainer.loop import train  # noqa: E402
from tests.training.conftest import config, tiny_model  # noqa: E402
from tests.training.helpers import StopAfterUpdates  # noqa: E402

# 9 micro-batches an epoch (odd: epoch 1 ends inside an update), 2 per update
SETTINGS = {
    "epochs": 2,
    "batch_size": 32,
    "max_steps_per_epoch": 9,
    "accumulation_steps": 2,
    "checkpoint_every_steps": 2,
}


def run(name: str, shards: Path, out: Path, extra_callbacks=(), saved_as=None, **settings):
    """Train the tiny model with checkpoints in ``out/name``; save its final weights."""
    settings = {**SETTINGS, **settings}
    model, history = train(
        tiny_model(settings.get("precision", "float32")),
        shards / "train_shards",
        shards / "val_shards",
        config(out / name, **settings),
        seed=5,
        extra_callbacks=extra_callbacks,
        verbose=0,
    )
    np.savez(out / f"{saved_as or name}.npz", *model.get_weights())
    (out / f"{saved_as or name}.history").write_text(repr(history))


def interrupted_then_resumed(shards: Path, out: Path) -> None:
    """A mirrored run stopped after 3 updates (a killed process), then run again."""
    with contextlib.suppress(KeyboardInterrupt):
        run("resumed", shards, out, [StopAfterUpdates(3)], distribution="mirrored")
    run("resumed", shards, out, distribution="mirrored")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("lstm_pipeline").setLevel(logging.INFO)  # the test reads resumption
    mode, shards, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if mode == "mirrored":
        run("none", shards, out)
        run("mirrored", shards, out, distribution="mirrored")
        mixed = {"precision": "mixed_float16", "max_steps_per_epoch": 4}
        run("none_mixed", shards, out, **mixed)
        run("mirrored_mixed", shards, out, distribution="mirrored", **mixed)
        interrupted_then_resumed(shards, out)
    else:
        # MultiWorkerMirroredStrategy configures collective ops: before TF runs any op
        start_strategy(TrainingConfig(distribution="multi_worker"))
        index = os.environ["WORKER_INDEX"]
        # one checkpoint folder for both: the chief writes it
        run("multi_worker", shards, out, saved_as=f"worker{index}", distribution="multi_worker")
        if mode == "worker_once":
            return
        # then worker 1 cannot see the chief's (finished) checkpoints: both must refuse
        try:
            folder = "multi_worker" if index == "0" else "not_shared"
            run(folder, shards, out, saved_as="x", distribution="multi_worker")
            outcome = "trained"
        except CheckpointError as exc:
            outcome = str(exc)
        (out / f"worker{index}.not_shared").write_text(outcome)


if __name__ == "__main__":
    main()
