"""lstm-pipeline: Kedro pipelines for LSTM-family models on long time series."""

from lstm_pipeline import quiet

quiet.install()  # before anything imports TensorFlow

from lstm_pipeline.windows.reader import ShardSet, make_dataset  # noqa: E402

__all__ = ["ShardSet", "make_dataset"]
