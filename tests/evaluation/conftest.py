"""A small real forecasting case: an hourly series, scaled on its train rows, test windows in
HDF5 shards, a tiny untrained model. Built once per test module; variants add a spike."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.scaling.scaler import Scaler, fit_scaler
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H, PERIOD = 30, 5, 24
ROWS, TRAIN_ROWS = 700, 500


@dataclass
class Case:
    raw: pd.DataFrame
    train: pd.DataFrame
    test: pd.DataFrame
    scaler: Scaler
    shards: ShardSet
    train_series: ParquetSeries
    folder: Path

    @property
    def splits(self) -> tuple[ParquetSeries, ParquetSeries]:
        """Train and test, the history seasonal naive reads back through."""
        return self.train_series, ParquetSeries(self.folder / "test.parquet")


def raw_series(spikes: dict[int, float] | None = None) -> pd.DataFrame:
    """700 hourly rows of a daily sine plus noise (load) and noise (temp); row 600 is 0."""
    rng = np.random.default_rng(0)
    t = np.arange(ROWS)
    raw = pd.DataFrame(
        {
            "load": 50 + 10 * np.sin(2 * np.pi * t / PERIOD) + rng.normal(size=ROWS),
            "temp": 20 + rng.normal(size=ROWS),
        },
        index=pd.date_range("2021-01-01", periods=ROWS, freq="1h", name="timestamp"),
    ).astype("float32")
    raw.iloc[600, 0] = 0.0  # a zero actual (test row 100) for MAPE to leave out
    for row, value in (spikes or {}).items():
        raw.iloc[row, 0] = value
    return raw


def make_case(folder: Path, raw: pd.DataFrame) -> Case:
    """Scale on the train rows, write both splits and the test shards into ``folder``."""
    train, test = raw.iloc[:TRAIN_ROWS], raw.iloc[TRAIN_ROWS:]
    scaler = Scaler(fit_scaler(train, "standard", list(raw.columns)))
    for name, part in (("train", train), ("test", test)):
        scaler.transform(part).to_parquet(folder / f"{name}.parquet")
    WindowingJob(
        source=ParquetSeries(folder / "test.parquet"),
        spec=WindowSpec(L, H),
        features=["load", "temp"],
        targets=["load"],
        fmt="hdf5",
        layout="segments",
        segment_rows=80,
        shard_mb=0.005,
    ).write(folder / "test_shards")
    return Case(
        raw,
        train,
        test,
        scaler,
        ShardSet(folder / "test_shards"),
        ParquetSeries(folder / "train.parquet"),
        folder,
    )


@pytest.fixture(scope="session")
def tiny_model():
    import keras

    from lstm_pipeline.models import ModelSpec, build_model

    keras.utils.set_random_seed(0)
    return build_model(ModelSpec(recurrent={"units": [4]}), input_length=L, n_features=2, horizon=H)
