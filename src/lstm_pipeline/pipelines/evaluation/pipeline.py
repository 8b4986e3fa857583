"""evaluation: model + test shards + scaler -> predictions, metrics, plots, report, and the
stage record written last."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.evaluation.plots import PLOT_NAMES
from lstm_pipeline.pipelines.evaluation.nodes import (
    plot_evaluation,
    predict_test_split,
    record_evaluation,
    score_test_split,
    write_report,
)

TEST_INPUTS = ["test_shards", "scaler", "train_series", "params:evaluation"]


def create_pipeline(**kwargs) -> Pipeline:
    """predict -> score -> plots and report -> the stage record, which runs last because it
    reads every output that loads back."""
    plot_outputs = [f"{name}_{kind}" for name in PLOT_NAMES for kind in ("plot", "plotly")]
    plotly_twins = [f"{name}_plotly" for name in PLOT_NAMES]
    return Pipeline(
        [
            Node(
                predict_test_split,
                inputs=["model", *TEST_INPUTS],
                outputs="predictions",
                name="predict_test_split",
                tags=["tensorflow"],
            ),
            Node(
                score_test_split,
                inputs=["predictions", *TEST_INPUTS],
                outputs=["metrics", "evaluation_samples"],
                name="score_test_split",
                tags=["tensorflow"],
            ),
            Node(
                plot_evaluation,
                inputs=["metrics", "evaluation_samples", "training_history"],
                outputs={output: output for output in plot_outputs},
                name="plot_evaluation",
            ),
            Node(
                write_report,
                inputs=["metrics", "training_history", "model_summary"],
                outputs="report",
                name="write_report",
            ),
            Node(
                record_evaluation,
                inputs={
                    "metrics": "metrics",
                    "evaluation_samples": "evaluation_samples",
                    "predictions": "predictions",
                    "report": "report",
                    **{twin: twin for twin in plotly_twins},
                },
                outputs="evaluation_record",
                name="record_evaluation",
            ),
        ]
    )
