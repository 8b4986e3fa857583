"""prediction (on demand): new raw files -> the trained model's forecasts or classes."""

from lstm_pipeline.pipelines.prediction.pipeline import create_pipeline

__all__ = ["create_pipeline"]
