"""modelling: windowing record (shapes, classes) + parameters + task -> untrained_model,
model_summary."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.modelling.nodes import build_untrained_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_untrained_model,
                inputs=["windowing_record", "params:modelling", "params:training", "params:task"],
                outputs=["untrained_model", "model_summary"],
                name="build_untrained_model",
                tags=["tensorflow"],
            )
        ]
    )
