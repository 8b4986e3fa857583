"""The modelling pipeline."""

from lstm_pipeline.pipelines.modelling.pipeline import create_pipeline

__all__ = ["create_pipeline"]
