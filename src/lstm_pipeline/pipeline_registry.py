"""Every folder under pipelines/ is a pipeline of the same name; __default__ runs them all
except `planning`, an on-demand measurement (minutes of child processes)."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

ON_DEMAND = ("planning",)


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    stages = [p for name, p in pipelines.items() if name not in ON_DEMAND]
    pipelines["__default__"] = sum(stages, Pipeline([]))
    return pipelines


def stage_of_nodes() -> dict[str, str]:
    """Node name -> the stage (registered pipeline) it belongs to, whichever subset of the
    project a run selects (Airflow runs one node per process)."""
    from kedro.framework.project import pipelines

    return {
        node.name: name
        for name, pipeline in pipelines.items()
        if name != "__default__"
        for node in pipeline.nodes
    }
