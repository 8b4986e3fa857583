"""The modelling node builds for the run-wide task from the windowing record."""

import numpy as np

from lstm_pipeline.models import ModelSpec
from lstm_pipeline.pipelines.modelling import create_pipeline
from lstm_pipeline.pipelines.modelling.nodes import build_untrained_model
from lstm_pipeline.trainer.config import TrainingConfig

SPEC = ModelSpec(architecture="fcn", fcn={"filters": [4, 4, 4]})


def test_classification_takes_features_and_classes_from_the_record():
    record = {
        "task": "classification",
        "feature_columns": ["dim_0", "dim_1"],
        "classes": ["a", "b", "c"],
        "layout": "sequences",
        "shapes": {"inputs": [None, 2]},
        "min_length": 5,
        "max_length": 150,
    }
    model, summary = build_untrained_model(
        record, SPEC, TrainingConfig(precision="mixed_float16"), "classification"
    )
    assert model.output_shape == (None, 3)
    assert model.input["values"].shape == (None, None, 2)
    assert summary["task"] == "classification" and summary["classes"] == ["a", "b", "c"]
    assert summary["dtype_policy"] == "mixed_float16"
    batch = {"values": np.zeros((1, 9, 2), "float32"), "mask": np.ones((1, 9), bool)}
    assert model.predict_on_batch(batch).shape == (1, 3)


def test_forecast_builds_from_the_window_shapes():
    record = {"shapes": {"inputs": [24, 3], "targets": [4, 2]}}
    model, summary = build_untrained_model(
        record, ModelSpec(recurrent={"units": [4]}), TrainingConfig(), "forecast"
    )
    assert model.input_shape == (None, 24, 3) and model.output_shape == (None, 4, 2)
    assert summary["task"] == "forecast" and "truncated_bptt" in summary


def test_the_node_reads_the_run_wide_task():
    (node,) = create_pipeline().nodes
    assert node.inputs == ["windowing_record", "params:modelling", "params:training", "params:task"]
