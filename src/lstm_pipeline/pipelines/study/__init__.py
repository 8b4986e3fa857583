"""The batch size x sequence length study pipeline."""

from lstm_pipeline.pipelines.study.pipeline import create_pipeline

__all__ = ["create_pipeline"]
