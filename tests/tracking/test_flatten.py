"""Parameters and reports flattened for MLflow."""

import math

from pydantic import BaseModel

from lstm_pipeline.tracking.flatten import flat_params, mlflow_key, numeric_leaves


class Inner(BaseModel):
    units: list[int] = [4, 8]
    dropout: float | None = None


def test_nested_parameters_become_dotted_text_with_json_values():
    params = {
        "seed": 42,
        "task": "forecast",
        "training": {"epochs": 2, "retrain": False, "memory_budget_mb": None, "tbptt": {}},
        "modelling": Inner(),
    }
    assert flat_params(params) == {
        "seed": "42",
        "task": "forecast",
        "training.epochs": "2",
        "training.retrain": "false",
        "training.memory_budget_mb": "null",
        "training.tbptt": "{}",
        "modelling.units": "[4, 8]",
        "modelling.dropout": "null",
    }


def test_a_long_value_is_cut_to_what_mlflow_keeps():
    assert len(flat_params({"a": "x" * 7000})["a"]) == 6000


def test_numbers_are_metrics_lists_of_numbers_are_series_the_rest_is_left_out():
    report = {
        "task": "forecast",
        "windows": 12,
        "model": {"overall": {"mae": 0.5, "count": 3}, "per_step": {"mae": [0.4, 0.6]}},
        "flags": {"ok": True},
        "nan": math.nan,
        "targets": ["y"],
        "confusion": [[1, 0], [0, 1]],
        "classes": {"1": {"recall": 1.0}},
    }
    scalars, series = numeric_leaves(report, "test.")
    assert scalars == {
        "test.windows": 12.0,
        "test.model.overall.mae": 0.5,
        "test.model.overall.count": 3.0,
        "test.classes.1.recall": 1.0,
    }
    assert series == {"test.model.per_step.mae": [0.4, 0.6]}


def test_characters_mlflow_refuses_in_a_key_become_underscores():
    assert mlflow_key("per_class.a:b(c)") == "per_class.a_b_c_"
    assert mlflow_key("ok-name/with space.1") == "ok-name/with space.1"
