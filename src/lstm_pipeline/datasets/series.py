"""Catalog entry for a normalised split: saved from a DataFrame, loaded as a lazy handle."""

from lstm_pipeline.datasets.atomic import AtomicParquetDataset
from lstm_pipeline.windows.series import ParquetSeries


class SeriesParquetDataset(AtomicParquetDataset):
    """Saves a DataFrame atomically; ``load`` returns a :class:`ParquetSeries` that reads row
    batches on demand, so windowing never holds a whole split in memory.
    Call ``.to_pandas()`` on it for a DataFrame."""

    def load(self) -> ParquetSeries:
        return ParquetSeries(self._get_load_path())
