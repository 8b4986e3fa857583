"""The Markdown report: per target, the metrics table in its unit and the verdict computed
from the same numbers; then the training settings and links to the plots.

    >>> text = markdown_report(metrics, training_history, model_summary)
"""

from lstm_pipeline.evaluation.comparison import (
    compare_with_baselines,
    format_number,
    summary_sentence,
)
from lstm_pipeline.evaluation.plots import PLOTS, PLOTS_FOLDER
from lstm_pipeline.evaluation.scoring import skill
from lstm_pipeline.evaluation.units import unit_label
from lstm_pipeline.timegrid import TimeGrid


def metrics_table(metrics: dict, target: str) -> str:
    """The Markdown table of every forecaster's test metrics for ``target``."""
    unit = unit_label(metrics.get("units") or {}, target)
    rows = [
        f"| forecaster | MAE ({unit}) | RMSE ({unit}) | MAPE | sMAPE | MASE "
        "| skill (1 - MAE/MAE baseline) |",
        "|---|---|---|---|---|---|---|",
    ]
    model = metrics["model"]["per_target"][target]
    for name, result in {"model": metrics["model"], **metrics["baselines"]}.items():
        values = result["per_target"][target]
        score = "" if name == "model" else format_number(skill(model["mae"], values["mae"]), 3)
        rows.append(
            f"| {name} | {format_number(values['mae'])} | {format_number(values['rmse'])} "
            f"| {format_number(values['mape'], 3)} | {format_number(values['smape'], 3)} "
            f"| {format_number(values['mase'], 3)} | {score} |"
        )
    return "\n".join(rows)


def target_section(metrics: dict, target: str) -> list[str]:
    """Heading, table and verdict (a summary, then one line per baseline and metric)."""
    unit = unit_label(metrics.get("units") or {}, target)
    comparisons = compare_with_baselines(metrics, target)
    model = metrics["model"]["per_target"][target]
    mase = model["mase"]
    side = "below" if mase is not None and mase < 1 else "not below"
    return [
        f"## {target} ({unit})",
        "",
        metrics_table(metrics, target),
        "",
        f"**Verdict (test split):** {summary_sentence(comparisons)}",
        "",
        *(f"- {c.sentence(unit)}" for c in comparisons),
        "",
        f"MASE {format_number(mase, 3)} is {side} 1 (the train split's in-sample seasonal-naive "
        f"MAE, a scale, not a test baseline). MAPE leaves out "
        f"{model['zero_actuals_excluded_from_mape']} zero actuals.",
        "",
    ]


def quantile_section(metrics: dict, target: str) -> list[str]:
    """A quantile head's scores for ``target``: pinball loss and share of actuals below per
    level, measured against nominal coverage per interval; [] for a point forecaster."""
    scores = (metrics.get("quantiles") or {}).get("per_target", {}).get(target)
    if not scores:
        return []
    unit = unit_label(metrics.get("units") or {}, target)
    lines = [
        f"### Quantile forecasts: {target}",
        "",
        f"| level | pinball loss ({unit}) | share of actuals below |",
        "|---|---|---|",
    ]
    for level, loss in scores["pinball_loss"].items():
        below = format_number(scores["fraction_below"][level], 3)
        lines.append(f"| {level} | {format_number(loss)} | {below} |")
    lines += [
        "",
        f"| interval | nominal coverage | measured coverage | mean width ({unit}) |",
        "|---|---|---|---|",
    ]
    for key, interval in scores["intervals"].items():
        lines.append(
            f"| {key} | {format_number(interval['nominal'], 3)} "
            f"| {format_number(interval['coverage'], 3)} "
            f"| {format_number(interval['mean_width'])} |"
        )
    return [*lines, ""]


def _quantile_note(metrics: dict) -> list[str]:
    levels = (metrics.get("quantiles") or {}).get("levels")
    if not levels:
        return []
    return [
        f"The model forecasts the quantiles {', '.join(map(str, levels))} (trained on the "
        f"pinball loss); its point metrics and verdicts use the median (0.5).",
        "",
    ]


def markdown_report(metrics: dict, training_history: dict, model_summary: dict) -> str:
    """The whole report as Markdown text."""
    targets = list(metrics["model"]["per_target"])
    units = ", ".join(f"{t} in {unit_label(metrics.get('units') or {}, t)}" for t in targets)
    lines = [
        "# Evaluation report",
        "",
        f"Test split: {metrics['windows']:,} windows{_step_note(metrics)}; metrics in "
        f"original units ({units}). Seasonal naive copies the value "
        f"{_steps(metrics, metrics['seasonal_period'])} before each target. MASE divides by "
        f"the in-sample naive MAE of the train split at lag "
        f"{_steps(metrics, metrics.get('mase_period') or metrics['seasonal_period'])} (its "
        f"own period, `evaluation.mase_period`).",
        "",
        *_quantile_note(metrics),
        *(
            line
            for target in targets
            for line in target_section(metrics, target) + quantile_section(metrics, target)
        ),
        *series_section(metrics),
        *training_lines(training_history, model_summary),
        "## Plots",
        "",
        *(f"- [{plot.title}]({PLOTS_FOLDER}/{name}.png)" for name, plot in PLOTS.items()),
        "",
    ]
    return "\n".join(lines)


def _steps(metrics: dict, count: int) -> str:
    """'12 months' for a count of the series' steps ('12 steps' when unknown)."""
    frequency = metrics.get("frequency")
    return f"{count} {TimeGrid(frequency).step_name() if frequency else 'steps'}"


def _step_note(metrics: dict) -> str:
    frequency = metrics.get("frequency")
    return (
        f" (one step: {TimeGrid(frequency).step_name()[:-1]}, `{frequency}`)" if frequency else ""
    )


def series_section(metrics: dict) -> list[str]:
    """Many series: MAE of the model and each baseline per series (all targets pooled),
    the mean over the series, and the series each forecaster wins; [] for one series."""
    if "series" not in metrics:
        return []
    names = ["model", *metrics["baselines"]]
    lines = [
        "## Per series (MAE, each series in its own units; MASE by its own train scale)",
        "",
        "| series | windows | " + " | ".join(names) + " | best |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    for series, result in metrics["series"].items():
        maes = {n: result[n]["mae"] for n in names}
        best = min((v, n) for n, v in maes.items() if v is not None)[1]
        cells = " | ".join(_figure(maes[n]) for n in names)
        lines.append(f"| {series} | {result['windows']} | {cells} | {best} |")
    mean = metrics["series_mean"]
    lines.append(
        "| mean of series | | " + " | ".join(_figure(mean[n]["mae"]) for n in names) + " | |"
    )
    mase = " | ".join(_figure(mean[n]["mase"]) for n in names)
    lines += ["| mean MASE | | " + mase + " | |", ""]
    return lines


def _figure(value) -> str:
    return "" if value is None else f"{value:.4f}"


def training_lines(training_history: dict, model_summary: dict) -> list[str]:
    """The "Model and training" section (both tasks; accuracy when the history has it)."""
    history, settings = training_history["history"], training_history["settings"]
    monitored = "val_loss" if history.get("val_loss") else "loss"
    best = min(history[monitored]) if history.get(monitored) else None
    lines = [
        "## Model and training",
        "",
        f"- model: {model_summary.get('name')}, {model_summary.get('parameters', 0):,} "
        f"parameters, precision {settings.get('precision')}",
        f"- epochs run: {len(history.get('loss', []))} of {settings.get('epochs')}, batch "
        f"{settings.get('batch_size')} x {settings.get('accumulation_steps', 1)} accumulation, "
        f"optimizer {settings.get('optimizer')} lr {settings.get('learning_rate')} "
        f"({settings.get('schedule')})",
        *_side_input_lines(model_summary),
        f"- truncated BPTT: {(settings.get('tbptt') or {}).get('enabled', False)}",
        f"- best {monitored}: {format_number(best)}",
    ]
    for key in ("accuracy", "val_accuracy"):
        if history.get(key):
            lines.append(f"- last epoch's {key}: {format_number(history[key][-1])}")
    return [*lines, ""]


def _side_input_lines(model_summary: dict) -> list[str]:
    """What the model reads beside the window: the future columns, the series embedding."""
    inputs = model_summary.get("inputs") or {}
    lines = []
    if "future" in inputs:
        steps, columns = inputs["future"]
        lines.append(f"- known ahead: {columns} columns over the {steps} forecast steps")
    if "series" in inputs:
        width = (model_summary.get("spec") or {}).get("series_embedding_dim")
        lines.append(f"- series identity: a learned embedding of width {width}")
    return lines
