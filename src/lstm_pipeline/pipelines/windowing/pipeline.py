"""windowing: train/val/test series -> train/val/test shard folders (HDF5 or TFRecord)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.windowing.nodes import plan_windows


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_windows,
                inputs=[f"{split}_series", "params:windowing"],
                outputs=f"{split}_shards",
                name=f"window_{split}_split",
            )
            for split in ("train", "val", "test")
        ]
    )
