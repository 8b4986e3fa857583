"""The normalisation pipeline."""

from lstm_pipeline.pipelines.normalisation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
