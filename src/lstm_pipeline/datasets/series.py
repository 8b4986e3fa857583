"""Catalog entry for a normalised split: saved from a DataFrame, loaded as a lazy handle."""

from lstm_pipeline.datasets.atomic import AtomicParquetDataset
from lstm_pipeline.windows.sequences import ParquetSequences
from lstm_pipeline.windows.series import ParquetSeries


class SeriesParquetDataset(AtomicParquetDataset):
    """Saves a DataFrame atomically; ``load`` returns a lazy handle that reads row batches on
    demand, so windowing never holds a whole split in memory: a :class:`ParquetSeries` for
    a time series, a :class:`ParquetSequences` for labelled sequences (classification, told
    by the ``task`` in the file's DataFrame attrs). Call ``.to_pandas()`` for a DataFrame."""

    def load(self) -> ParquetSeries | ParquetSequences:
        path = self._get_load_path()
        return ParquetSequences(path) if ParquetSequences.describes(path) else ParquetSeries(path)
