"""tf.distribute in the trainer (training.distribution), against independent references.

Each distributed run happens in processes of their own (tests/training/distributed_driver.py):
two logical CPU devices or a MultiWorkerMirroredStrategy must be set up before TensorFlow
starts. The tiny model has no dropout, so replicas compute what one device computes.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.training.conftest import config, sine_frame, tiny_model, write_split
from tests.training.distributed_driver import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
ATOL = 1e-5  # float32: replicas sum their gradients in another order than one device
MIXED_ATOL = 5e-4  # mixed_float16: the LSTM computes in float16 (2.8e-5 seen)
TIMEOUT_S = 240  # a hung collective fails the test instead of stalling make test


def write_shards(root: Path, train_format: str = "tfrecord", shard_mb: float = 0.002) -> Path:
    """Train windows in several TFRecord shard files (workers read files i::2), validation
    windows in HDF5; ``train_format="hdf5", shard_mb=1.0``: train windows in ONE HDF5 file
    (workers read ranges of its segments)."""
    for name, frame, fmt in (
        ("train_shards", sine_frame(900), train_format),
        ("val_shards", sine_frame(200, start=900, seed=1), "hdf5"),
    ):
        write_split(frame, root / name, fmt=fmt, shard_mb=shard_mb)
    return root


@pytest.fixture(scope="module")
def shard_root(tmp_path_factory):
    return write_shards(tmp_path_factory.mktemp("distributed_shards"))


def _driver(mode: str, shards: Path, out: Path, env=None) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.training.distributed_driver", mode, shards, out]
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [str(c) for c in command],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(processes: list[subprocess.Popen]) -> list[str]:
    """Wait for every process (killing all once one fails or time runs out); their output."""
    outputs = []
    try:
        for process in processes:
            output, _ = process.communicate(timeout=TIMEOUT_S)
            assert process.returncode == 0, output[-3000:]
            outputs.append(output)
        return outputs
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def _weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def _max_difference(a, b) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def mirrored_runs(shard_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("mirrored_runs")
    (output,) = _finish([_driver("mirrored", shard_root, out)])
    return out, output


def _flat(weights) -> np.ndarray:
    return np.concatenate([w.ravel() for w in weights])


def test_mirrored_over_two_devices_ends_where_one_device_ends(mirrored_runs):
    out, _ = mirrored_runs
    one_device, mirrored = _weights(out / "none.npz"), _weights(out / "mirrored.npz")
    assert _max_difference(one_device, tiny_model().get_weights()) > 100 * ATOL  # it trained
    np.testing.assert_allclose(_flat(mirrored), _flat(one_device), atol=ATOL, rtol=0)


def test_mirrored_under_mixed_precision_ends_where_one_device_ends(mirrored_runs):
    out, _ = mirrored_runs
    one_device = _weights(out / "none_mixed.npz")
    mirrored = _weights(out / "mirrored_mixed.npz")
    # float16 rounding of tiny gradients, amplified by Adam's division by sqrt(v)
    np.testing.assert_allclose(_flat(mirrored), _flat(one_device), atol=MIXED_ATOL, rtol=0)
    initial = tiny_model("mixed_float16").get_weights()
    assert _max_difference(one_device, initial) > 10 * MIXED_ATOL


def test_mirrored_run_resumes_exactly(mirrored_runs):
    out, output = mirrored_runs
    assert "Resuming from" in output  # the second run went on from the first's checkpoint
    # epoch 1 ends inside an update: its checkpoint is left out
    assert "not written: the current update's gradients" in output
    np.testing.assert_array_equal(
        _flat(_weights(out / "resumed.npz")), _flat(_weights(out / "mirrored.npz"))
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _reference_of_two_workers(shard_root: Path, tmp_path: Path) -> list[np.ndarray]:
    """One device, global batch t = worker 0's batch t then worker 1's (each reading its
    own shard files), trained by Keras's fit with Keras's own gradient accumulation."""
    import tensorflow as tf

    from lstm_pipeline.trainer.feeds import WindowFeed
    from lstm_pipeline.trainer.objectives import compile_arguments
    from lstm_pipeline.trainer.optimizers import build_optimizer
    from lstm_pipeline.windows.reader import ShardSet

    settings = config(tmp_path, **SETTINGS)
    sets = ShardSet(shard_root / "train_shards"), ShardSet(shard_root / "val_shards")
    feed = WindowFeed(*sets, settings, seed=5, pipelines=2)
    parts = [
        feed.epochs_dataset(0, settings.epochs, tf.distribute.InputContext(2, i, 2))
        for i in range(2)
    ]
    joined = tf.data.Dataset.zip(*parts).map(
        lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0))
    )
    model = tiny_model()
    updates = settings.epochs * feed.steps_per_epoch // settings.accumulation_steps
    model.compile(
        optimizer=build_optimizer(settings, updates), **compile_arguments("forecast", settings)
    )
    model.fit(
        joined,
        epochs=settings.epochs,
        steps_per_epoch=feed.steps_per_epoch,
        shuffle=False,
        verbose=0,
    )
    return model.get_weights()


def _two_workers(mode: str, shard_root: Path, out: Path) -> None:
    """Two ``multi_worker`` processes of the driver on localhost ports, run to their end."""
    cluster = {"worker": [f"localhost:{_free_port()}" for _ in range(2)]}
    workers = [
        _driver(
            mode,
            shard_root,
            out,
            {
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": i}}
                ),
                "WORKER_INDEX": str(i),
            },
        )
        for i in range(2)
    ]
    _finish(workers)


def test_two_workers_end_where_one_worker_with_their_joined_batches_ends(shard_root, tmp_path):
    _two_workers("worker", shard_root, tmp_path)
    reference = _reference_of_two_workers(shard_root, tmp_path)
    chief, other = _weights(tmp_path / "worker0.npz"), _weights(tmp_path / "worker1.npz")
    np.testing.assert_array_equal(_flat(chief), _flat(other))  # mirrored: one set of weights
    assert _max_difference(reference, tiny_model().get_weights()) > 100 * ATOL
    np.testing.assert_allclose(_flat(chief), _flat(reference), atol=ATOL, rtol=0)
    saved = json.loads((tmp_path / "multi_worker" / "checkpoints" / "state.json").read_text())
    assert saved["finished"]  # the chief wrote the checkpoint folder
    # a worker that cannot see the chief's checkpoint folder: both stop, none waits for ever
    for index, sees in ((0, "a run finished after 2 epochs"), (1, "none, a fresh start")):
        outcome = (tmp_path / f"worker{index}.not_shared").read_text()
        assert f"The workers start from different checkpoints (this one: {sees})" in outcome


def test_two_workers_reading_ranges_of_one_hdf5_file_end_where_one_worker_ends(
    tmp_path_factory, tmp_path
):
    # one HDF5 file, two workers: each reads a contiguous range of its segments
    shard_root = write_shards(tmp_path_factory.mktemp("one_hdf5_file"), "hdf5", shard_mb=1.0)
    assert len(list((shard_root / "train_shards").glob("shard-*.h5"))) == 1
    _two_workers("worker_once", shard_root, tmp_path)
    reference = _reference_of_two_workers(shard_root, tmp_path)
    chief, other = _weights(tmp_path / "worker0.npz"), _weights(tmp_path / "worker1.npz")
    np.testing.assert_array_equal(_flat(chief), _flat(other))
    assert _max_difference(reference, tiny_model().get_weights()) > 100 * ATOL
    np.testing.assert_allclose(_flat(chief), _flat(reference), atol=ATOL, rtol=0)
