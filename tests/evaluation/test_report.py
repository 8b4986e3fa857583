"""The report's verdict comes from the table's numbers; units reach the report and the plot
axes; missing values print as n/a instead of raising."""

import matplotlib.pyplot as plt
import pytest

from lstm_pipeline.evaluation.comparison import compare_with_baselines, headline
from lstm_pipeline.evaluation.plots import PLOT_NAMES, PLOTS, draw_all
from lstm_pipeline.evaluation.report import markdown_report

HISTORY = {
    "history": {"epoch": [1, 2], "loss": [1.0, 0.8], "val_loss": [1.1, 0.9]},
    "settings": {
        "precision": "float32",
        "epochs": 2,
        "batch_size": 16,
        "accumulation_steps": 1,
        "optimizer": "adam",
        "learning_rate": 0.001,
        "schedule": "constant",
    },
}
SUMMARY = {"name": "lstm", "parameters": 100}


def scores(mae, rmse, **other) -> dict:
    values = {"mae": mae, "rmse": rmse, "mape": 0.1, "smape": 0.1, "mase": 0.9, **other}
    values.setdefault("zero_actuals_excluded_from_mape", 0)
    return {
        "overall": values,
        "per_target": {"Global_active_power": values},
        "per_horizon_step": {"mae": [mae, mae], "rmse": [rmse, rmse]},
    }


def metrics_where_the_model_loses_to_persistence() -> dict:
    # model MAE 1.2 vs persistence 1.0: 0.2 kW (20%) worse; RMSE 1.5 vs 2.0: 0.5 kW (25%) better
    return {
        "windows": 10,
        "units": {"Global_active_power": "kW"},
        "seasonal_period": 24,
        "model": scores(1.2, 1.5),
        "baselines": {
            "persistence": scores(1.0, 2.0),
            "seasonal_naive": scores(1.5, 1.8),
            "train_mean": scores(1.6, 1.9),
        },
        "lineage": {"generation": "x"},  # the lineage hook's key must not matter
    }


def samples() -> dict:
    window = {
        "end_ns": 0,
        "history": [[1.0], [2.0]],
        **{k: [[1.0], [2.0]] for k in ("actual", "model", "persistence", "seasonal_naive")},
    }
    return {
        "targets": ["Global_active_power"],
        "windows": [window],
        "one_step": {
            "end_ns": [0, 3_600_000_000_000],
            "actual": [[1.0], [2.0]],
            "predicted": [[1.1], [1.9]],
        },
        "residuals": [0.1, -0.1, 0.2],
    }


def test_the_verdict_says_the_model_loses_to_persistence_with_the_margins():
    report = markdown_report(metrics_where_the_model_loses_to_persistence(), HISTORY, SUMMARY)
    assert (
        "the model loses to persistence on MAE by 0.2000 kW (20.0% higher: 1.2000 vs 1.0000 kW)"
        in report
    )
    assert (
        "the model beats persistence on RMSE by 0.5000 kW (25.0% lower: 1.5000 vs 2.0000 kW)"
        in report
    )
    assert "The model does not beat every baseline: it loses to persistence on MAE." in report
    assert "beats seasonal_naive on MAE by 0.3000 kW (20.0% lower" in report
    # the table holds the same numbers, in the unit
    assert "| forecaster | MAE (kW) | RMSE (kW) |" in report
    assert "| persistence | 1.0000 | 2.0000 |" in report and "| model | 1.2000 | 1.5000 |" in report


def test_a_model_better_than_every_baseline_is_said_so():
    metrics = metrics_where_the_model_loses_to_persistence()
    metrics["model"] = scores(0.5, 0.6)
    report = markdown_report(metrics, HISTORY, SUMMARY)
    assert "The model beats every baseline on test MAE and RMSE." in report
    assert "loses to" not in report


def test_differences_within_storage_resolution_are_ties():
    metrics = metrics_where_the_model_loses_to_persistence()
    metrics["model"] = scores(1.0 + 1e-9, 1.5)
    metrics["storage_resolution"] = {"Global_active_power": 1e-8}
    outcomes = {
        (c.baseline, c.metric): c.outcome
        for c in compare_with_baselines(metrics, "Global_active_power")
    }
    assert outcomes[("persistence", "mae")] == "ties with"
    assert outcomes[("persistence", "rmse")] == "beats"


def test_missing_values_print_as_na_in_the_log_line_and_the_report():
    metrics = metrics_where_the_model_loses_to_persistence()
    metrics["model"] = scores(None, None, mase=None)
    metrics["baselines"]["persistence"] = scores(0.0, 0.0)
    line = headline(metrics)
    assert "test MAE n/a kW, RMSE n/a kW, MASE n/a" in line
    report = markdown_report(metrics, HISTORY, SUMMARY)
    assert "cannot be compared with persistence on MAE (a value is missing)" in report


def test_units_label_the_report_and_every_value_axis():
    metrics = metrics_where_the_model_loses_to_persistence()
    report = markdown_report(metrics, HISTORY, SUMMARY)
    assert "## Global_active_power (kW)" in report and "Global_active_power in kW" in report
    figures = draw_all(metrics, samples(), HISTORY["history"])
    assert tuple(figures) == PLOT_NAMES
    png, interactive = figures["error_by_horizon"]
    assert png.axes[0].get_ylabel() == "MAE (kW)"
    assert interactive.layout.yaxis.title.text == "MAE (kW)"
    png, interactive = figures["residuals"]
    assert png.axes[0].get_xlabel() == "predicted - actual (kW)"
    assert interactive.layout.xaxis.title.text == "predicted - actual (kW)"
    for name in ("forecast_windows", "one_step"):
        png, interactive = figures[name]
        assert png.axes[0].get_ylabel() == "Global_active_power (kW)", name
        assert interactive.layout.yaxis.title.text == "Global_active_power (kW)", name
    plt.close("all")


def test_a_target_without_a_unit_says_original_units():
    metrics = metrics_where_the_model_loses_to_persistence()
    metrics["units"] = {}
    figures = draw_all(metrics, samples(), HISTORY["history"])
    assert figures["error_by_horizon"][0].axes[0].get_ylabel() == "MAE (original units)"
    assert "## Global_active_power (original units)" in markdown_report(metrics, HISTORY, SUMMARY)
    plt.close("all")


@pytest.mark.parametrize("name", PLOT_NAMES)
def test_the_report_links_every_plot(name):
    report = markdown_report(metrics_where_the_model_loses_to_persistence(), HISTORY, SUMMARY)
    assert f"[{PLOTS[name].title}](plots/{name}.png)" in report
