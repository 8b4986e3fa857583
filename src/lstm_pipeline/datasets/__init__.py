"""Kedro datasets of this project (referenced from conf/base/catalog.yml)."""

from lstm_pipeline.datasets.atomic import (
    AtomicJSONDataset,
    AtomicMatplotlibDataset,
    AtomicParquetDataset,
    AtomicPlotlyDataset,
    AtomicTextDataset,
    AtomicYAMLDataset,
)
from lstm_pipeline.datasets.keras_model import KerasModelDataset
from lstm_pipeline.datasets.markdown import MarkdownDataset
from lstm_pipeline.datasets.plots import PlotFolderDataset
from lstm_pipeline.datasets.predictions import StreamedParquetDataset
from lstm_pipeline.datasets.raw_files import RawFilesDataset
from lstm_pipeline.datasets.series import SeriesParquetDataset
from lstm_pipeline.datasets.shards import WindowShardsDataset

__all__ = [
    "AtomicJSONDataset",
    "AtomicMatplotlibDataset",
    "AtomicParquetDataset",
    "AtomicPlotlyDataset",
    "AtomicTextDataset",
    "AtomicYAMLDataset",
    "KerasModelDataset",
    "MarkdownDataset",
    "PlotFolderDataset",
    "RawFilesDataset",
    "SeriesParquetDataset",
    "StreamedParquetDataset",
    "WindowShardsDataset",
]
