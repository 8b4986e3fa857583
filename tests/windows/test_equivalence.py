"""The windows make_dataset yields equal Keras's timeseries helper, in every format and layout."""

import numpy as np
import pytest

from lstm_pipeline import make_dataset
from tests.windows.conftest import STRIDE, H, L, collect, windowing_job


def keras_windows(frame):
    import keras

    values = frame.to_numpy(np.float32)
    inputs = keras.utils.timeseries_dataset_from_array(
        values, None, sequence_length=L, sequence_stride=STRIDE, batch_size=4096
    )
    targets = keras.utils.timeseries_dataset_from_array(
        values[L:, 2:3], None, sequence_length=H, sequence_stride=STRIDE, batch_size=4096
    )
    x = np.concatenate([b.numpy() for b in inputs])
    y = np.concatenate([b.numpy() for b in targets])
    n = min(len(x), len(y))
    return x[:n], y[:n]


def multiset(x, y):
    return sorted(x[i].tobytes() + y[i].tobytes() for i in range(len(x)))


@pytest.mark.parametrize(
    ("fmt", "layout"),
    [("hdf5", "segments"), ("tfrecord", "segments"), ("hdf5", "windows"), ("tfrecord", "windows")],
)
def test_same_windows_as_keras(split, tmp_path, fmt, layout):
    path, frame = split
    job = windowing_job(path, fmt, layout)
    manifest = job.write(tmp_path / "shards")
    assert len(manifest["shards"]) > 1
    x, y = collect(make_dataset(tmp_path / "shards", 64, shuffle=True, seed=5))
    kx, ky = keras_windows(frame)
    assert x.shape == kx.shape and y.shape == ky.shape
    assert multiset(x, y) == multiset(kx, ky)
