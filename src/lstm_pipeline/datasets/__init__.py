"""Kedro datasets of this project (referenced from conf/base/catalog.yml)."""

from lstm_pipeline.datasets.atomic import AtomicJSONDataset, AtomicParquetDataset
from lstm_pipeline.datasets.raw_files import RawFilesDataset

__all__ = ["AtomicJSONDataset", "AtomicParquetDataset", "RawFilesDataset"]
