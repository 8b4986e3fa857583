"""ingestion: raw files -> series (Parquet) and ingestion_report (JSON)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.ingestion.nodes import clean_series, read_raw_series


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                read_raw_series,
                inputs=["raw_files", "params:ingestion"],
                outputs=["raw_series", "read_report"],
                name="read_raw_series",
            ),
            Node(
                clean_series,
                inputs=["raw_series", "read_report", "params:ingestion"],
                outputs=["series", "ingestion_report"],
                name="clean_series",
            ),
        ]
    )
