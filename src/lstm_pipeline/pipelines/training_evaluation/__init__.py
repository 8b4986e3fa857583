"""training_evaluation: training, then evaluation, on the stored shards (a scheduled retrain)."""

from lstm_pipeline.pipelines.training_evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
