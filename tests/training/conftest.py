"""Small train/val shard folders of a noisy sine, and a tiny model factory."""

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.models import ModelSpec, build_model
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H = 16, 4


def write_split(
    frame: pd.DataFrame, folder, allow_empty: bool = False, fmt="hdf5", shard_mb=0.02
) -> None:
    path = folder.with_suffix(".parquet")
    frame.to_parquet(path)
    WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(L, H),
        features=["a", "y"],
        targets=["y"],
        fmt=fmt,
        layout="segments",
        segment_rows=200,
        shard_mb=shard_mb,
        allow_empty=allow_empty,
    ).write(folder)


def sine_frame(rows: int, start: int = 0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(start, start + rows)
    return pd.DataFrame(
        {"a": np.sin(t / 7) + 0.1 * rng.normal(size=rows), "y": np.cos(t / 7)},
        index=pd.date_range("2020-01-01", periods=rows, freq="1h", name="timestamp"),
    ).astype("float32")


@pytest.fixture(scope="session")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("training_shards")
    write_split(sine_frame(900), root / "train_shards")
    write_split(sine_frame(200, start=900, seed=1), root / "val_shards")
    return root / "train_shards", root / "val_shards"


def tiny_model(precision="float32", dropout=0.0, seed=1):
    keras.utils.set_random_seed(seed)
    spec = ModelSpec(recurrent={"units": [6], "dropout": dropout})
    return build_model(spec, input_length=L, n_features=2, horizon=H, precision=precision)


def config(tmp_path, **overrides) -> TrainingConfig:
    settings = {
        "epochs": 2,
        "batch_size": 32,
        "checkpoint_every_steps": 4,
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "tensorboard_dir": None,
        "early_stopping_patience": None,
        "learning_rate": 0.01,
        "schedule": "constant",
        "min_learning_rate": 0.0,
        **overrides,
    }
    return TrainingConfig(**settings)


@pytest.fixture
def fake_reader(monkeypatch):
    """The trainer's ``make_dataset`` reads :class:`FakeCaseShards` (labelled sequences) as
    the real reader reads shard folders."""
    from lstm_pipeline.trainer import feeds
    from tests.training.sequences import FakeCaseShards, fake_make_dataset

    real = feeds.make_dataset

    def make_dataset(shard_set, batch_size, **options):
        if isinstance(shard_set, FakeCaseShards):
            return fake_make_dataset(shard_set, batch_size, **options)
        return real(shard_set, batch_size, **options)

    monkeypatch.setattr(feeds, "make_dataset", make_dataset)
