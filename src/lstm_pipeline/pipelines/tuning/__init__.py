"""The tuning pipeline."""

from lstm_pipeline.pipelines.tuning.pipeline import create_pipeline

__all__ = ["create_pipeline"]
