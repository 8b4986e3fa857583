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
