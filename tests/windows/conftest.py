"""Helpers that window the synthetic split (tests/conftest.py) into small shards."""

import numpy as np

from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

L, H, STRIDE = 24, 6, 2


def windowing_job(path, fmt="hdf5", layout="segments", **overrides) -> WindowingJob:
    """Small segments and shards so that even 2,000 rows make several shards."""
    settings = {"segment_rows": 300, "shard_mb": 0.01, **overrides}
    return WindowingJob(
        source=ParquetSeries(path),
        spec=WindowSpec(L, H, 0, STRIDE),
        features=["a", "b", "y"],
        targets=["y"],
        fmt=fmt,
        layout=layout,
        **settings,
    )


def collect(dataset) -> tuple[np.ndarray, np.ndarray]:
    batches = list(dataset)
    return (
        np.concatenate([b[0].numpy() for b in batches]),
        np.concatenate([b[1].numpy() for b in batches]),
    )


def shard_files(folder) -> list:
    """The shard files of a folder, in shard order."""
    return sorted(p for p in folder.iterdir() if p.name.startswith("shard-"))
