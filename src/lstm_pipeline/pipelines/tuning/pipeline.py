"""tuning (on demand: kedro run --pipelines=tuning): the stored train/val shards + the
search space -> tuning_record (the study in SQLite, resumable), then best_parameters,
tuning_trials and three Plotly figures. Both tasks (``params:task``); never the test split."""

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.pipelines.tuning.nodes import export_study, run_study


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                run_study,
                inputs=[
                    "windowing_record",
                    "train_shards",
                    "val_shards",
                    "train_series",  # windowed again only for another input_length
                    "val_series",
                    "params:tuning",
                    "params:modelling",
                    "params:training",
                    "params:seed",
                    "params:task",
                ],
                outputs="tuning_record",
                name="run_study",
                tags=["tensorflow"],
            ),
            Node(
                export_study,
                inputs=["tuning_record", "params:modelling"],
                outputs=[
                    "best_parameters",
                    "tuning_trials",
                    "tuning_history_plot",
                    "tuning_importance_plot",
                    "tuning_parallel_plot",
                ],
                name="export_study",
            ),
        ]
    )
