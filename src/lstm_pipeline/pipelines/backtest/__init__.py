"""The backtest pipeline (on demand): rolling-origin folds, one Kedro namespace each."""

from lstm_pipeline.pipelines.backtest.pipeline import create_pipeline

__all__ = ["create_pipeline"]
