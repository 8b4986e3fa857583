"""The Markdown report: metrics table, baselines, training settings, links to the plots."""

PLOTS = (
    ("Learning curves", "learning_curves.png"),
    ("Test windows: actual vs predicted", "forecast_windows.png"),
    ("One step ahead over the test split", "one_step.png"),
    ("Error by horizon step", "error_by_horizon.png"),
    ("Residual distribution", "residuals.png"),
)


def _number(value, digits=4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def metrics_table(metrics: dict) -> str:
    rows = [
        "| forecaster | MAE | RMSE | MAPE | sMAPE | MASE | skill (1 - MAE/MAE baseline) |",
        "|---|---|---|---|---|---|---|",
    ]
    entries = {"model": metrics["model"], **metrics["baselines"]}
    for name, result in entries.items():
        o = result["overall"]
        skill = "" if name == "model" else _number(metrics["skill_vs_baselines"][name], 3)
        rows.append(
            f"| {name} | {_number(o['mae'])} | {_number(o['rmse'])} | {_number(o['mape'], 3)} "
            f"| {_number(o['smape'], 3)} | {_number(o['mase'], 3)} | {skill} |"
        )
    return "\n".join(rows)


def markdown_report(metrics: dict, training_history: dict, model_summary: dict) -> str:
    history = training_history["history"]
    settings = training_history["settings"]
    overall = metrics["model"]["overall"]
    best_val = min(history["val_loss"]) if history.get("val_loss") else None
    verdict = "beats" if overall["mase"] is not None and overall["mase"] < 1 else "does not beat"
    lines = [
        "# Evaluation report",
        "",
        f"Test split: {metrics['windows']:,} windows, metrics in {metrics['units']}. "
        f"MASE divides by the in-sample seasonal-naive MAE of the train split (period "
        f"{metrics['seasonal_period']}). MAPE leaves out "
        f"{overall['zero_actuals_excluded_from_mape']} zero actuals.",
        "",
        metrics_table(metrics),
        "",
        f"The model {verdict} the seasonal naive in-sample scale (MASE "
        f"{_number(overall['mase'], 3)}).",
        "",
        "## Model and training",
        "",
        f"- model: {model_summary.get('name')}, {model_summary.get('parameters', 0):,} "
        f"parameters, precision {settings['precision']}",
        f"- epochs run: {len(history.get('loss', []))} of {settings['epochs']}, batch "
        f"{settings['batch_size']} x {settings['accumulation_steps']} accumulation, optimizer "
        f"{settings['optimizer']} lr {settings['learning_rate']} ({settings['schedule']})",
        f"- truncated BPTT: {settings.get('tbptt', {}).get('enabled', False)}",
        f"- best val_loss: {_number(best_val)}",
        "",
        "## Plots",
        "",
        *[f"- [{title}]({file})" for title, file in PLOTS],
        "",
    ]
    return "\n".join(lines)
