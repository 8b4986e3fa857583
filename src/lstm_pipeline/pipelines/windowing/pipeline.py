"""windowing: train/val/test series -> train/val/test shard folders (HDF5 or TFRecord), then
the stage record that later stages read the shapes from. The same nodes for both tasks
(``params:task``): windows for forecasting, labelled cases for classification."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.windowing.nodes import (
    check_windows_fit,
    record_windowing,
    windowing_job,
)

SPLITS = ("train", "val", "test")


def create_pipeline(**kwargs) -> Pipeline:
    """Check all splits, window each, then write the stage record."""
    check = Node(
        check_windows_fit,
        # params:evaluation: the test split must hold the history seasonal naive reads
        inputs=[
            *(f"{split}_series" for split in SPLITS),
            "params:windowing",
            "params:task",
            "params:evaluation",
            "params:engine",
        ],
        outputs="windowing_settings",
        name="check_windows_fit",
    )
    return Pipeline(
        [
            check,
            *(
                Node(
                    windowing_job,
                    # the splits before it: forecasting windows take their first inputs there
                    inputs=[
                        f"{split}_series",
                        "windowing_settings",
                        *(f"{earlier}_series" for earlier in SPLITS[:i]),
                    ],
                    outputs=f"{split}_shards",
                    name=f"window_{split}_split",
                )
                for i, split in enumerate(SPLITS)
            ),
            Node(
                record_windowing,
                inputs=["windowing_settings", *(f"{split}_shards" for split in SPLITS)],
                outputs="windowing_record",
                name="record_windowing",
            ),
        ]
    )
