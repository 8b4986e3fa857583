"""training: windowing record + settings -> planned_batch_size; untrained_model + train/val
shards -> model, training_history. The same nodes for both tasks (``params:task``)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.training.nodes import plan_training_batch, train_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_training_batch,
                inputs=[
                    "windowing_record",
                    "params:modelling",
                    "params:training",
                    "params:task",
                ],
                outputs="planned_batch_size",
                name="plan_training_batch",
                tags=["tensorflow"],  # batch_size auto measures the model
            ),
            Node(
                train_model,
                inputs=[
                    "untrained_model",
                    "train_shards",
                    "val_shards",
                    "planned_batch_size",
                    "params:training",
                    "params:modelling",
                    "params:seed",
                    "params:task",
                ],
                outputs=["model", "training_history"],
                name="train_model",
                tags=["tensorflow"],
            ),
        ]
    )
