"""Rolling-origin backtests: folds of train/validation/test rows, and their metrics summed up.

Fold ``k`` of ``N`` (1 = the earliest) ends its test part ``(N - k) * step`` rows before the
series' end, so the last fold tests on the last ``test_rows`` rows; validation (if any) comes
just before the test part, train just before that: from the series' first row (``expanding``)
or the ``train_rows`` rows before validation (``sliding``). A fold's ranges have the format of
:func:`lstm_pipeline.scaling.split.find_ranges`, so the normalisation, windowing, training and
evaluation steps run on a fold unchanged.

    >>> ranges = rolling_ranges(series.index, None, plan, fold=2, min_train_rows=100)
    >>> summary = backtest_summary(plan, [(ranges_1, metrics_1), (ranges_2, metrics_2)])
    >>> text, figures = backtest_report(summary), draw_folds(summary)
"""

from functools import partial
from typing import Literal, get_args

import numpy as np
import pandas as pd

from lstm_pipeline.errors import SettingsError, SplitError
from lstm_pipeline.evaluation.comparison import format_number
from lstm_pipeline.evaluation.plots import COLOURS, PLOTS_FOLDER, plotly_figure
from lstm_pipeline.evaluation.units import shared_unit_label
from lstm_pipeline.scaling.split import ranges_per_series

Window = Literal["expanding", "sliding"]
WINDOWS: tuple[str, ...] = get_args(Window)
SPLITS = ("train", "val", "test")
METRICS = ("mae", "rmse", "mape", "smape", "mase")
UNIT_METRICS = ("mae", "rmse")  # in the targets' units; the others are ratios
LABELS = {"mae": "MAE", "rmse": "RMSE", "mape": "MAPE", "smape": "sMAPE", "mase": "MASE"}
FOLDS_PLOT = "backtest_folds"  # plots/backtest_folds.png beside backtest_report.md
NAMESPACE = "backtest.fold_{number}"  # one Kedro namespace per fold, inside "backtest"
FOLDER = "fold_{number}"  # each fold's outputs, under the backtest folder


def fold_bounds(n_rows: int, plan, fold: int) -> dict[str, tuple[int, int]]:
    """Row bounds ``[start, stop)`` of each split of fold ``fold`` (1..plan.folds) of a series
    of ``n_rows`` rows; ``plan`` holds folds, window, test_rows, step (None: test_rows),
    val_rows and train_rows (sliding). Nothing is checked here (see :func:`check_folds_fit`).

    >>> fold_bounds(100, plan(folds=2, test_rows=10, val_rows=5), fold=1)
    {'train': (0, 75), 'val': (75, 80), 'test': (80, 90)}
    """
    shift = (plan.folds - fold) * (plan.step or plan.test_rows)
    test = (n_rows - shift - plan.test_rows, n_rows - shift)
    val = (test[0] - plan.val_rows, test[0])
    start = 0 if plan.window == "expanding" else val[0] - plan.train_rows
    return {"train": (start, val[0]), "val": val, "test": test}


def check_folds_fit(n_rows: int, plan, min_train_rows: int) -> None:
    """Raise :class:`SplitError` naming the settings when the earliest fold (the one with the
    fewest rows before it) starts before the series or trains on too few rows."""
    start, stop = fold_bounds(n_rows, plan, 1)["train"]
    settings = (
        f"backtest.folds = {plan.folds}, backtest.test_rows = {plan.test_rows}, "
        f"backtest.step = {plan.step}, backtest.val_rows = {plan.val_rows}"
    )
    if plan.window == "sliding":
        settings += f", backtest.train_rows = {plan.train_rows}"
    if min(start, stop) < 0:  # sliding: its train part; expanding: its validation or test
        raise SplitError(
            f"The earliest backtest fold would begin {-min(start, stop)} row(s) before the "
            f"series' first row ({n_rows} rows): {settings}. Use fewer folds, a smaller step, "
            f"fewer test, validation or train rows, or ingest more data."
        )
    if stop - start < min_train_rows:
        raise SplitError(
            f"The earliest backtest fold trains on {stop - start} rows, fewer than "
            f"'normalisation.split.min_train_rows' = {min_train_rows} (series of {n_rows} rows; "
            f"{settings}). Use fewer folds, a smaller step or fewer test or validation rows."
        )


def fold_ranges(index: pd.DatetimeIndex, plan, fold: int, min_train_rows: int) -> dict:
    """The train/val/test ranges of fold ``fold``, as ``find_ranges`` gives them (rows and
    times per split); raises :class:`SplitError` when the folds do not fit the series."""
    check_folds_fit(len(index), plan, min_train_rows)
    bounds = fold_bounds(len(index), plan, fold)
    return {name: _range(index, *bounds[name]) for name in SPLITS}


def _range(index: pd.DatetimeIndex, start: int, stop: int) -> dict:
    rows = stop - start
    return {
        "start_row": start,
        "stop_row": stop,
        "rows": rows,
        "start": str(index[start]) if rows else None,
        "end": str(index[stop - 1]) if rows else None,
    }


def rolling_ranges(
    index: pd.DatetimeIndex, blocks: list | None, plan, fold: int, min_train_rows: int
) -> dict:
    """:func:`fold_ranges` of the series, or of each of many series (``blocks``: [name,
    rows] one after another, as ``find_ranges_per_series`` takes them): a series too short for
    the folds is skipped and named in ``skipped``; all of them skipped is a SplitError."""
    if not blocks:
        return fold_ranges(index, plan, fold, min_train_rows)
    own = partial(fold_ranges, plan=plan, fold=fold, min_train_rows=min_train_rows)
    return ranges_per_series(index, blocks, own, "No series holds the backtest folds")


def check_fold_count(folds: int, built: int) -> None:
    """The pipelines hold ``built`` fold namespaces (read from the configuration when they
    were built); the parameters the run reads must ask for as many."""
    if folds != built:
        raise SettingsError(
            f"backtest.folds = {folds}, but the backtest pipeline was built with {built} "
            f"fold(s): the fold count is read from the parameter files (conf/base, the run's "
            f"environment) and `kedro run --params backtest.folds=N` when the pipelines are "
            f"built. Set it there as a plain number (a run started in Python reads the "
            f"environment from KEDRO_ENV and no --params)."
        )


# --- the folds' metrics summed up ---------------------------------------------------------


def fold_record(number: int, split_ranges: dict, metrics: dict) -> dict:
    """One fold: its periods, its number of test windows and every forecaster's overall
    metrics (model first, then the baselines, as metrics.json holds them)."""
    forecasters = {"model": metrics["model"], **metrics["baselines"]}
    return {
        "fold": number,
        **{name: _period(split_ranges[name]) for name in SPLITS},
        "windows": metrics.get("windows"),
        "metrics": {
            name: {metric: result["overall"].get(metric) for metric in METRICS}
            for name, result in forecasters.items()
        },
    }


def _period(part: dict) -> dict:
    return {key: part.get(key) for key in ("start", "end", "rows")}


def mean_and_std(values: list) -> dict:
    """Mean and sample standard deviation (n - 1) of the values that are not None (a metric
    metrics.json leaves out), and how many there were; None where there are too few."""
    known = np.array([v for v in values if v is not None], dtype=float)
    return {
        "mean": float(known.mean()) if known.size else None,
        "std": float(known.std(ddof=1)) if known.size > 1 else None,
        "folds": int(known.size),
    }


def backtest_summary(plan, folds: list[tuple[dict, dict]]) -> dict:
    """The backtest's record: the settings, each fold (from its ``(split_ranges, metrics)``)
    and, per forecaster and metric, the mean and standard deviation over the folds."""
    records = [fold_record(i, ranges, metrics) for i, (ranges, metrics) in enumerate(folds, 1)]
    first = folds[0][1]
    names = list(records[0]["metrics"])
    return {
        "settings": {
            key: getattr(plan, key)
            for key in ("folds", "window", "test_rows", "step", "val_rows", "train_rows")
        },
        "targets": first.get("targets", []),
        "units": first.get("units") or {},
        "folds": records,
        "summary": {
            name: {m: mean_and_std([r["metrics"][name][m] for r in records]) for m in METRICS}
            for name in names
        },
        "std": "sample standard deviation over the folds (n - 1); null for a single fold",
    }


def _unit(summary: dict) -> str:
    return shared_unit_label(summary["units"], summary["targets"])


def _label(metric: str, unit: str) -> str:
    return f"{LABELS[metric]} ({unit})" if metric in UNIT_METRICS else LABELS[metric]


def _mean_std_text(cell: dict) -> str:
    if cell["std"] is None:
        return format_number(cell["mean"])
    return f"{format_number(cell['mean'])} ± {format_number(cell['std'])}"


def _folds_table(summary: dict) -> list[str]:
    rows = ["| fold | train | validation | test | test windows |", "|---|---|---|---|---|"]
    for record in summary["folds"]:
        cells = [
            f"{p['start']} to {p['end']} ({p['rows']} rows)" if p["rows"] else "none"
            for p in (record[name] for name in SPLITS)
        ]
        rows.append(f"| {record['fold']} | {' | '.join(cells)} | {record['windows']} |")
    return rows


def _metrics_rows(cells: dict[str, list[str]], unit: str) -> list[str]:
    """A table of forecaster (row) x metric (column), from ``cells``: name -> one text a
    metric."""
    header = " | ".join(_label(m, unit) for m in METRICS)
    rows = [f"| forecaster | {header} |", "|---|" + "---|" * len(METRICS)]
    rows += [f"| {name} | {' | '.join(texts)} |" for name, texts in cells.items()]
    return rows


def backtest_report(summary: dict) -> str:
    """The Markdown report: the folds' periods, mean ± std per forecaster and metric, each
    fold's metrics, and the plot of each metric per fold."""
    unit, settings, means = _unit(summary), summary["settings"], summary["summary"]
    lines = [
        f"# Backtest: {settings['folds']} fold(s), {settings['window']} window",
        "",
        "Each fold fits its scaler on its own train rows, trains the model on them and scores "
        "it and the baselines on its test rows (original units).",
        "",
        *_folds_table(summary),
        "",
        "## Mean ± standard deviation over the folds",
        "",
        f"Standard deviation: {summary['std']}.",
        "",
        *_metrics_rows(
            {n: [_mean_std_text(c[m]) for m in METRICS] for n, c in means.items()}, unit
        ),
        "",
    ]
    for record in summary["folds"]:
        values = record["metrics"]
        cells = {n: [format_number(v[m]) for m in METRICS] for n, v in values.items()}
        lines += [f"## Fold {record['fold']}", "", *_metrics_rows(cells, unit), ""]
    lines += [f"![Each metric per fold]({PLOTS_FOLDER}/{FOLDS_PLOT}.png)", ""]
    return "\n".join(lines)


def _series(summary: dict, name: str, metric: str) -> tuple[list[int], list]:
    folds = [r["fold"] for r in summary["folds"]]
    values = [r["metrics"][name][metric] for r in summary["folds"]]
    return folds, [np.nan if v is None else v for v in values]


def draw_folds(summary: dict) -> tuple:
    """Each metric per fold, one panel a metric, the model and every baseline as lines:
    (matplotlib figure, Plotly twin)."""
    import matplotlib.pyplot as plt

    unit, names = _unit(summary), list(summary["summary"])
    figure, axes = plt.subplots(len(METRICS), 1, figsize=(7, 2.2 * len(METRICS)), sharex=True)
    for axis, metric in zip(axes, METRICS, strict=True):
        for name in names:
            axis.plot(
                *_series(summary, name, metric), marker="o", label=name, color=COLOURS.get(name)
            )
        axis.set_ylabel(_label(metric, unit))
    axes[-1].set_xlabel("fold (test period, earliest first)")
    axes[-1].set_xticks([r["fold"] for r in summary["folds"]])
    axes[0].set_title("Backtest: each metric per fold")
    axes[0].legend(fontsize="small", ncols=3)
    figure.tight_layout()
    return figure, _folds_plotly(summary, names, unit)


def _folds_plotly(summary: dict, names: list[str], unit: str):
    figure = plotly_figure("Backtest: each metric per fold", "fold", "value")
    for metric in METRICS:
        for name in names:
            folds, values = _series(summary, name, metric)
            figure.add_scatter(
                x=folds,
                y=values,
                name=f"{name} {_label(metric, unit)}",
                legendgroup=metric,
                visible=True if metric == "mae" else "legendonly",
            )
    return figure
