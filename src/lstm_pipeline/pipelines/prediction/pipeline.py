"""prediction (on demand, ``kedro run --pipelines=prediction``): new raw files + the stored
preprocessing and model of the last training run -> ``prediction_inputs`` (what the model
reads) -> ``new_predictions`` (Parquet). Not part of ``__default__``."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.prediction.nodes import predict_new_data, prepare_new_data


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                prepare_new_data,
                inputs=[
                    "prediction_raw_files",
                    "scaler",
                    "windowing_record",
                    "ingestion_report",
                    "params:ingestion",
                    "params:task",
                ],
                outputs="prediction_inputs",
                name="prepare_new_data",
            ),
            Node(
                predict_new_data,
                inputs=[
                    "prediction_inputs",
                    "model",
                    "scaler",
                    "windowing_record",
                    "label_mapping",
                    "params:prediction",
                    "params:task",
                ],
                outputs="new_predictions",
                name="predict_new_data",
                tags=["tensorflow"],
            ),
        ]
    )
