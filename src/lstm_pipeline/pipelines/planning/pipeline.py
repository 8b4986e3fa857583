"""planning: the configured model x a grid of input lengths and batch sizes -> batch_plan."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.planning.nodes import plan_batch_sizes


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_batch_sizes,
                inputs=[
                    "windowing_record",
                    "params:modelling",
                    "params:training",
                    "params:planning",
                    "params:task",
                ],
                outputs=["batch_plan", "batch_plan_plot"],
                name="plan_batch_sizes",
                tags=["tensorflow"],
            )
        ]
    )
