"""The windows make_dataset yields equal Keras's timeseries helper, in every format and layout."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline import make_dataset
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H, STRIDE = 24, 6, 2


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=2000, freq="1h", name="timestamp")
    frame = pd.DataFrame(
        rng.normal(size=(2000, 3)).astype(np.float32), index=index, columns=["a", "b", "y"]
    )
    path = tmp_path_factory.mktemp("split") / "train_series.parquet"
    frame.to_parquet(path)
    return path, frame


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
    job = WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(L, H, 0, STRIDE),
        features=["a", "b", "y"],
        targets=["y"],
        fmt=fmt,
        layout=layout,
        segment_rows=300,
        shard_mb=0.01,
    )
    manifest = job.write(tmp_path / "shards")
    assert len(manifest["shards"]) > 1
    batches = list(make_dataset(tmp_path / "shards", 64, shuffle=True, seed=5))
    x = np.concatenate([b[0].numpy() for b in batches])
    y = np.concatenate([b[1].numpy() for b in batches])
    kx, ky = keras_windows(frame)
    assert x.shape == kx.shape and y.shape == ky.shape
    assert multiset(x, y) == multiset(kx, ky)
