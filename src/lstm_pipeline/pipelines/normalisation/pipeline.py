"""normalisation: series -> split_plan, scaler (JSON) and train/val/test series (Parquet)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.normalisation.nodes import (
    fit_train_scaler,
    plan_split,
    transform_splits,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_split,
                inputs=["series", "params:normalisation"],
                outputs="split_plan",
                name="plan_split",
            ),
            Node(
                fit_train_scaler,
                inputs=["series", "split_plan", "params:normalisation"],
                outputs="scaler",
                name="fit_train_scaler",
            ),
            Node(
                transform_splits,
                inputs=["series", "split_plan", "scaler"],
                outputs=["train_series", "val_series", "test_series"],
                name="transform_splits",
            ),
        ]
    )
