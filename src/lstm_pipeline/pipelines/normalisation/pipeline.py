"""normalisation: series -> split_ranges, scaler (JSON) and train/val/test series (Parquet)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.normalisation.nodes import (
    find_split_ranges,
    fit_train_scaler,
    transform_splits,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                find_split_ranges,
                inputs=["series", "params:normalisation", "params:task", "params:seed"],
                outputs="split_ranges",
                name="find_split_ranges",
            ),
            Node(
                fit_train_scaler,
                inputs=[
                    "series",
                    "split_ranges",
                    "params:normalisation",
                    "params:task",
                    "params:engine",
                ],
                outputs="scaler",
                name="fit_train_scaler",
            ),
            Node(
                transform_splits,
                inputs=["series", "split_ranges", "scaler", "params:task"],
                outputs=["train_series", "val_series", "test_series", "normalisation_report"],
                name="transform_splits",
            ),
        ]
    )
