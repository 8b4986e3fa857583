"""training: untrained_model + train/val shards -> model, training_history."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.training.nodes import train_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                train_model,
                inputs=[
                    "untrained_model",
                    "train_shards",
                    "val_shards",
                    "params:training",
                    "params:modelling",
                    "params:seed",
                ],
                outputs=["model", "training_history"],
                name="train_model",
                tags=["tensorflow"],
            )
        ]
    )
