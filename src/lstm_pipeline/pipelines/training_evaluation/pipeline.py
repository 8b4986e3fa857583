"""training_evaluation: what a scheduled retrain runs (an Airflow DAG of its own): the
training stage, then the evaluation stage, on the shards and model the last run stored.

A folder of its own, not a sum in the registry, because Kedro loads only the pipelines a run
names (``--pipelines=training_evaluation`` loads this folder alone)."""

from kedro.pipeline import Pipeline

from lstm_pipeline.pipelines.evaluation import pipeline as evaluation
from lstm_pipeline.pipelines.training import pipeline as training


def create_pipeline(**kwargs) -> Pipeline:
    return training.create_pipeline() + evaluation.create_pipeline()
