"""The ingestion pipeline."""

from lstm_pipeline.pipelines.ingestion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
