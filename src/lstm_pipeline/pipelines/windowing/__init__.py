"""The windowing pipeline."""

from lstm_pipeline.pipelines.windowing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
