"""study (on demand: kedro run --pipelines=study): the normalised splits -> shards per
study length -> one model trained and measured per (length, batch size, seed), each in its
own process -> study_points, study_report and two heatmaps. ``params:task`` picks the
grid: input lengths of the windows (forecast), or resampled cases (classification)."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.study.nodes import prepare_study, report_study, run_study


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                prepare_study,
                inputs=[
                    "train_series",
                    "val_series",
                    "test_series",
                    "params:windowing",
                    "params:study",
                    "params:seed",
                    "params:task",
                ],
                outputs="study_inputs",
                name="prepare_study",
            ),
            Node(
                run_study,
                inputs=[
                    "study_inputs",
                    "params:study",
                    "params:modelling",
                    "params:training",
                    "params:seed",
                    "params:task",
                ],
                outputs="study_points",
                name="run_study_grid",
            ),
            Node(
                report_study,
                inputs=["study_points", "params:task"],
                outputs=["study_report", "study_score_plot", "study_throughput_plot"],
                name="report_study",
            ),
        ]
    )
