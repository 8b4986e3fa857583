"""evaluation: model + test shards + scaler -> metrics, predictions, plots, report."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.evaluation.nodes import (
    PLOT_NAMES,
    evaluate_test_split,
    plot_evaluation,
    write_report,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                evaluate_test_split,
                inputs=["model", "test_shards", "scaler", "train_series", "params:evaluation"],
                outputs=["metrics", "predictions", "evaluation_samples"],
                name="evaluate_test_split",
                tags=["tensorflow"],
            ),
            Node(
                plot_evaluation,
                inputs=["metrics", "evaluation_samples", "training_history"],
                outputs=[
                    *(f"{name}_plot" for name in PLOT_NAMES),
                    *(f"{name}_plotly" for name in PLOT_NAMES),
                ],
                name="plot_evaluation",
            ),
            Node(
                write_report,
                inputs=["metrics", "training_history", "model_summary"],
                outputs="report",
                name="write_report",
            ),
        ]
    )
