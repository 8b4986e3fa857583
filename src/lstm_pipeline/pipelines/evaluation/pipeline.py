"""evaluation: model + test shards + normalised splits -> predictions, metrics, the plots (one
grouped output), report, and the stage record written last. The same shape for both tasks:
each node dispatches on ``params:task``."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.evaluation.nodes import (
    plot_evaluation,
    predict_test_split,
    record_evaluation,
    score_test_split,
    write_report,
)

TEST_INPUTS = ["test_shards", "scaler", "train_series"]
SETTINGS = ["params:evaluation", "params:task"]


def create_pipeline(**kwargs) -> Pipeline:
    """predict -> score -> plots and report -> the stage record, which runs last because it
    reads every output."""
    return Pipeline(
        [
            Node(
                predict_test_split,
                inputs=["model", *TEST_INPUTS, "val_series", "test_series", *SETTINGS],
                outputs="predictions",
                name="predict_test_split",
                tags=["tensorflow"],
            ),
            Node(
                score_test_split,
                inputs=["predictions", *TEST_INPUTS, "val_series", "test_series", *SETTINGS],
                outputs=["metrics", "evaluation_samples"],
                name="score_test_split",
                tags=["tensorflow"],
            ),
            Node(
                plot_evaluation,
                inputs=["metrics", "evaluation_samples", "training_history", "params:task"],
                outputs="evaluation_plots",
                name="plot_evaluation",
            ),
            Node(
                write_report,
                inputs=["metrics", "training_history", "model_summary", "params:task"],
                outputs="report",
                name="write_report",
            ),
            Node(
                record_evaluation,
                inputs=[
                    "metrics",
                    "evaluation_samples",
                    "predictions",
                    "report",
                    "evaluation_plots",
                    "params:task",
                ],
                outputs="evaluation_record",
                name="record_evaluation",
            ),
        ]
    )
