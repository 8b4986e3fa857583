"""The verdict: the model against each baseline on test MAE and RMSE, per target.

Computed from the very numbers of the metrics table (``metrics[...]["per_target"]``), so
the report's sentences cannot disagree with its table.

    >>> [c.sentence("kW") for c in compare_with_baselines(metrics, "load")]
    ['the model beats persistence on MAE by 0.2413 kW (35.3% lower: 0.4415 vs 0.6828 kW)', ...]
"""

from dataclasses import dataclass

METRICS = ("mae", "rmse")


def format_number(value: float | None, digits: int = 4) -> str:
    """``value`` with ``digits`` decimals (scientific beyond 1e9), "n/a" for None."""
    if value is None:
        return "n/a"
    if abs(value) >= 1e9:
        return f"{value:.{digits}g}"
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Comparison:
    """The model against one baseline on one metric of one target."""

    target: str
    baseline: str
    metric: str  # "mae" or "rmse"
    model: float | None
    reference: float | None  # the baseline's value
    tie_within: float = 0.0  # differences this small cannot be told apart (float32 storage)

    @property
    def difference(self) -> float | None:
        """Model minus baseline: below 0 means the model is better."""
        if self.model is None or self.reference is None:
            return None
        return self.model - self.reference

    @property
    def outcome(self) -> str:
        """One of "beats", "loses to", "ties with" and "cannot be compared with"."""
        if self.difference is None:
            return "cannot be compared with"
        if abs(self.difference) <= self.tie_within:
            return "ties with"
        return "beats" if self.difference < 0 else "loses to"

    @property
    def percent(self) -> float | None:
        """The difference as a share of the baseline's value, in % (None if it is 0)."""
        if self.difference is None or not self.reference:
            return None
        return 100 * self.difference / self.reference

    def sentence(self, unit: str) -> str:
        """One readable clause with the margin in ``unit`` and in %."""
        head = f"the model {self.outcome} {self.baseline} on {self.metric.upper()}"
        if self.difference is None:
            return f"{head} (a value is missing)"
        values = f"{format_number(self.model)} vs {format_number(self.reference)} {unit}"
        if self.outcome == "ties with":
            return f"{head} ({values})"
        side = "lower" if self.difference < 0 else "higher"
        share = "n/a" if self.percent is None else f"{abs(self.percent):.1f}%"
        return f"{head} by {format_number(abs(self.difference))} {unit} ({share} {side}: {values})"


def compare_with_baselines(metrics: dict, target: str) -> list[Comparison]:
    """Every (baseline, metric) comparison for ``target``, baselines in metrics order."""
    model = metrics["model"]["per_target"][target]
    half_step = (metrics.get("storage_resolution") or {}).get(target) or 0.0
    return [
        Comparison(
            target=target,
            baseline=name,
            metric=metric,
            model=model[metric],
            reference=result["per_target"][target][metric],
            tie_within=2 * half_step,
        )
        for name, result in metrics["baselines"].items()
        for metric in METRICS
    ]


def summary_sentence(comparisons: list[Comparison]) -> str:
    """One sentence: beats every baseline on both metrics, or which ones it does not beat."""
    if comparisons and all(c.outcome == "beats" for c in comparisons):
        return "The model beats every baseline on test MAE and RMSE."
    not_beaten: dict[str, list[str]] = {}
    for c in comparisons:
        if c.outcome != "beats":
            not_beaten.setdefault(f"{c.outcome} {c.baseline}", []).append(c.metric.upper())
    parts = [f"{what} on {' and '.join(metrics)}" for what, metrics in not_beaten.items()]
    return f"The model does not beat every baseline: it {'; '.join(parts)}."


def headline(metrics: dict) -> str:
    """One log line per target: the model's test MAE, RMSE and MASE, then the verdict.
    Missing values print as "n/a" (a None never reaches a ``%f``)."""
    lines = []
    for target, model in metrics["model"]["per_target"].items():
        unit = (metrics.get("units") or {}).get(target) or "original units"
        lines.append(
            f"{target}: test MAE {format_number(model['mae'])} {unit}, RMSE "
            f"{format_number(model['rmse'])} {unit}, MASE {format_number(model['mase'], 3)}. "
            f"{summary_sentence(compare_with_baselines(metrics, target))}"
        )
    return "\n".join(lines)
