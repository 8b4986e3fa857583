"""Every folder under pipelines/ is a pipeline of the same name; __default__ runs them all
except the on-demand ones: `planning`, a measurement (minutes of child processes),
`backtest`, the rolling-origin folds (a model trained per fold), `prediction`, the
trained model on new raw files (what a scheduled job runs after training), and `tuning`, an
Optuna search over the stored shards (a model trained per trial), and `study`, the batch
size x sequence length study (a model trained per grid point, each in its own process).
`training_evaluation` (training, then evaluation, on the stored shards) is what a scheduled
retrain runs."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

ON_DEMAND = ("planning", "backtest", "prediction", "tuning", "study")
COMPOSITES = ("__default__", "training_evaluation")  # made of stages, not a stage


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    stages = [p for name, p in pipelines.items() if name not in ON_DEMAND + COMPOSITES]
    pipelines["__default__"] = sum(stages, Pipeline([]))
    return pipelines


def stage_of_nodes() -> dict[str, str]:
    """Node name -> the stage (registered pipeline) it belongs to, whichever subset of the
    project a run selects (Airflow runs one node per process). A node of a backtest fold
    belongs to that fold's copy of its stage ('backtest.fold_2.training')."""
    from kedro.framework.project import pipelines

    from lstm_pipeline.pipelines.backtest.pipeline import fold_stage

    return {
        node.name: fold_stage(node) or name
        for name, pipeline in pipelines.items()
        if name not in COMPOSITES
        for node in pipeline.nodes
    }
