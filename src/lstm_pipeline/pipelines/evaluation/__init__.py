"""The evaluation pipeline."""

from lstm_pipeline.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
