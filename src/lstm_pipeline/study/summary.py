"""The study's results: mean and standard deviation over seeds per (length, batch size),
the best batch size per length, a Markdown report and heatmaps.

The best batch size of a length is the one with the best mean validation score over
seeds: the lowest mean ``val_loss`` (forecasting), or the highest mean ``val_accuracy``
(classification; a tie goes to the lower mean ``val_loss``). Batch sizes whose mean lies
within one standard deviation (over seeds) of the best one's are listed beside it: the
seeds cannot tell them apart.
"""

import numpy as np
import pandas as pd

# task -> (validation score, test score, whether higher is better)
SCORES = {
    "forecast": ("val_loss", "test_loss", False),
    "classification": ("val_accuracy", "test_accuracy", True),
}
MEASURED = ["epoch_s", "samples_per_s", "peak_rss_mb"]
LEGEND = (
    "s/epoch: the training call's wall time over the epochs run (the first epoch's graph "
    "tracing and every validation pass included); samples/s: training samples a second, "
    "median of the epochs after the first; peak MB: peak RSS of the point's own process "
    "(TensorFlow itself included)."
)


def grid_means(points: pd.DataFrame, task: str) -> pd.DataFrame:
    """Per (length, batch size) over the seeds that ran without error: ``seeds``, the mean
    and sd of the validation and test scores and of ``val_loss``, and the mean time per
    epoch, samples/s and peak memory."""
    val, test, _ = SCORES[task]
    ok = points[points["error"].isna()]
    grouped = ok.groupby(["length", "batch_size"], sort=True)
    columns = list(dict.fromkeys([val, test, "val_loss"]))
    table = grouped[columns].agg(["mean", "std"])
    table.columns = [f"{name}_{stat}" for name, stat in table.columns]
    table = table.join(grouped[MEASURED].mean()).join(grouped.size().rename("seeds"))
    return table.reset_index()


def best_batch_sizes(points: pd.DataFrame, task: str) -> pd.DataFrame:
    """One row per length: the best batch size (module docstring), its validation and test
    score (mean, sd), and the batch sizes within one sd of it (``indistinct``)."""
    val, test, higher = SCORES[task]
    rows = []
    for length, group in grid_means(points, task).groupby("length", sort=True):
        keys = [-group[f"{val}_mean"] if higher else group[f"{val}_mean"], group["val_loss_mean"]]
        order = np.lexsort([k.to_numpy() for k in reversed(keys)])
        best = group.iloc[order[0]]
        spread = 0.0 if np.isnan(best[f"{val}_std"]) else best[f"{val}_std"]
        close = (group[f"{val}_mean"] - best[f"{val}_mean"]).abs() <= spread
        rows.append({
            "length": length,
            "best_batch_size": int(best["batch_size"]),
            f"{val}_mean": best[f"{val}_mean"], f"{val}_std": best[f"{val}_std"],
            f"{test}_mean": best[f"{test}_mean"], f"{test}_std": best[f"{test}_std"],
            "samples_per_s": best["samples_per_s"], "seeds": int(best["seeds"]),
            "indistinct": [int(b) for b in group.loc[close, "batch_size"]],
        })  # fmt: skip
    return pd.DataFrame(rows)


def _pm(mean: float, std: float, digits: int) -> str:
    if np.isnan(mean):
        return "-"
    return f"{mean:.{digits}f}" if np.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def report_markdown(points: pd.DataFrame, task: str, title: str) -> str:
    """The per-length summary and the whole grid as Markdown tables (mean ± sd over seeds)."""
    val, test, higher = SCORES[task]
    best = best_batch_sizes(points, task)
    rule = "highest mean" if higher else "lowest mean"
    lines = [
        f"# {title}", "",
        f"Best batch size per length: the {rule} `{val}` over seeds; `within 1 sd`: batch "
        "sizes whose mean is within one standard deviation of the best (indistinguishable).",
        "", f"| length | best batch size | {val} | {test} | samples/s | within 1 sd |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for row in best.to_dict("records"):
        lines.append(
            f"| {row['length']} | {row['best_batch_size']} | "
            f"{_pm(row[f'{val}_mean'], row[f'{val}_std'], 4)} | "
            f"{_pm(row[f'{test}_mean'], row[f'{test}_std'], 4)} | "
            f"{row['samples_per_s']:.0f} | {', '.join(map(str, row['indistinct']))} |"
        )
    lines += [
        "",
        "## Every point (mean ± sd over seeds)",
        "",
        LEGEND,
        "",
        *_grid_lines(points, task),
    ]
    failed = points[points["error"].notna()]
    if len(failed):
        lines += ["", f"{len(failed)} point(s) failed: " + "; ".join(sorted(set(failed["error"])))]
    return "\n".join(lines) + "\n"


def _grid_lines(points: pd.DataFrame, task: str) -> list[str]:
    val, test, _ = SCORES[task]
    lines = [
        f"| length | batch size | seeds | {val} | {test} | s/epoch | samples/s | peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in grid_means(points, task).to_dict("records"):
        lines.append(
            f"| {row['length']} | {row['batch_size']} | {row['seeds']} | "
            f"{_pm(row[f'{val}_mean'], row[f'{val}_std'], 4)} | "
            f"{_pm(row[f'{test}_mean'], row[f'{test}_std'], 4)} | {row['epoch_s']:.2f} | "
            f"{row['samples_per_s']:.0f} | {row['peak_rss_mb']:.0f} |"
        )
    return lines


def heatmap(points: pd.DataFrame, task: str, column: str, title: str):
    """A Plotly heatmap of ``column``'s mean over seeds: lengths down, batch sizes across,
    each cell labelled mean ± sd."""
    import plotly.graph_objects as go

    ok = points[points["error"].isna()]
    stats = ok.groupby(["length", "batch_size"])[column].agg(["mean", "std"])
    mean, std = stats["mean"].unstack(), stats["std"].unstack()
    text = [[_pm(m, s, 3) for m, s in zip(mr, sr, strict=True)]
            for mr, sr in zip(mean.to_numpy(), std.to_numpy(), strict=True)]  # fmt: skip
    figure = go.Figure(
        go.Heatmap(
            z=mean.to_numpy(),
            x=[str(b) for b in mean.columns],
            y=[str(n) for n in mean.index],
            text=text,
            texttemplate="%{text}",
            colorbar={"title": column},
        )  # fmt: skip
    )
    figure.update_layout(
        title=title, xaxis_title="batch size", yaxis_title=f"sequence length ({task})"
    )
    return figure
