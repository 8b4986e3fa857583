"""The planning pipeline."""

from lstm_pipeline.pipelines.planning.pipeline import create_pipeline

__all__ = ["create_pipeline"]
