"""lstm-pipeline: Kedro pipelines for LSTM-family models on long time series."""

from lstm_pipeline.windows.reader import ShardSet, make_dataset

__all__ = ["ShardSet", "make_dataset"]
