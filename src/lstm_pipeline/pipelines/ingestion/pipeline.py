"""ingestion: raw files -> series (Parquet), ingestion_report and label_mapping (JSON).
The same nodes for both tasks (``params:task``)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.ingestion.nodes import clean_series, read_raw_series


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                read_raw_series,
                inputs=["raw_files", "params:ingestion", "params:task", "params:engine"],
                outputs=["raw_series", "read_report"],
                name="read_raw_series",
            ),
            Node(
                clean_series,
                inputs=[
                    "raw_series",
                    "read_report",
                    "params:ingestion",
                    "params:task",
                    "params:engine",
                ],
                outputs=["series", "ingestion_report", "label_mapping"],
                name="clean_series",
            ),
        ]
    )
