"""Catalog entry for a normalised split: saved from a DataFrame, loaded as a lazy handle."""

from typing import Any

from lstm_pipeline.datasets.atomic import AtomicParquetDataset
from lstm_pipeline.storage import DEFAULT_CACHE
from lstm_pipeline.storage.remote import stage_file
from lstm_pipeline.windows.sequences import ParquetSequences
from lstm_pipeline.windows.series import ParquetSeries


class SeriesParquetDataset(AtomicParquetDataset):
    """Saves a DataFrame atomically; ``load`` returns a lazy handle that reads row batches on
    demand, so windowing never holds a whole split in memory: a :class:`ParquetSeries` for
    a time series, a :class:`ParquetSequences` for labelled sequences (classification, told
    by the ``task`` in the file's DataFrame attrs). Call ``.to_pandas()`` for a DataFrame.
    On object storage the handle reads a copy staged in ``cache``."""

    def __init__(self, *, cache: str = DEFAULT_CACHE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache = cache

    def load(self) -> ParquetSeries | ParquetSequences:
        path = self._get_load_path()
        if self._protocol != "file":
            path = stage_file(self._remote_at(path), self._cache)
        return ParquetSequences(path) if ParquetSequences.describes(path) else ParquetSeries(path)
