"""Catalog entry for a normalised split: saved from a DataFrame, loaded as a lazy handle."""

import json

import pyarrow.parquet as pq

from lstm_pipeline.datasets.atomic import AtomicParquetDataset
from lstm_pipeline.windows.series import ParquetSeries


class SeriesParquetDataset(AtomicParquetDataset):
    """Saves a DataFrame atomically; ``load`` returns a lazy handle that reads row batches on
    demand, so windowing never holds a whole split in memory: a :class:`ParquetSeries` for
    a time series, a ``ParquetSequences`` for labelled sequences (classification, told by
    the ``task`` the file's DataFrame attrs carry). Call ``.to_pandas()`` for a DataFrame."""

    def load(self):
        path = self._get_load_path()
        if _task_of(path) == "classification":
            from lstm_pipeline.windows.sequences import ParquetSequences

            return ParquetSequences(path)
        return ParquetSeries(path)


def _task_of(path) -> str:
    """The ``task`` pandas stored with the DataFrame's attrs (``forecast`` when absent)."""
    metadata = pq.read_schema(path).metadata or {}
    attributes = metadata.get(b"PANDAS_ATTRS")
    return json.loads(attributes).get("task", "forecast") if attributes else "forecast"
