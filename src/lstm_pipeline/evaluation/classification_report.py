"""The Markdown report of a classification run: the model against each baseline on the same
test cases, the verdict computed from the same numbers, per-class precision and recall with
the class names, the confusion matrix, the training settings and links to the plots.

    >>> text = classification_report(metrics, training_history, model_summary)
"""

from dataclasses import dataclass

from lstm_pipeline.evaluation.classification_plots import PLOTS
from lstm_pipeline.evaluation.classifying import HARD_SCORES
from lstm_pipeline.evaluation.comparison import format_number
from lstm_pipeline.evaluation.plots import PLOTS_FOLDER
from lstm_pipeline.evaluation.report import training_lines

# headline figures compared in the verdict (ROC AUC is shown, not compared: a baseline's
# AUC scores hard predictions, the model's its probabilities)
COMPARED = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro F1",
}
LABELS = {**COMPARED, "roc_auc": "ROC AUC"}


@dataclass(frozen=True)
class ClassComparison:
    """The model against one baseline on one headline figure (higher is better)."""

    baseline: str
    metric: str
    model: float | None
    reference: float | None

    @property
    def outcome(self) -> str:
        """ "beats", "ties with", "loses to" or "cannot be compared with"."""
        if self.model is None or self.reference is None:
            return "cannot be compared with"
        if abs(self.model - self.reference) <= 1e-12:
            return "ties with"
        return "beats" if self.model > self.reference else "loses to"

    def sentence(self, cases: int) -> str:
        """One clause with the margin (and, for accuracy, in test cases)."""
        head = f"the model {self.outcome} {self.baseline} on {LABELS[self.metric]}"
        if self.outcome == "cannot be compared with":
            return f"{head} (a value is undefined)"
        values = f"{format_number(self.model)} vs {format_number(self.reference)}"
        if self.outcome == "ties with":
            return f"{head} ({values})"
        margin = abs(self.model - self.reference)
        extra = (
            f", {round(margin * cases)} of {cases} test cases" if self.metric == "accuracy" else ""
        )
        return f"{head} by {format_number(margin)} ({values}{extra})"


def compare_classifiers(metrics: dict) -> list[ClassComparison]:
    """Every (baseline, compared figure) pair, baselines in metrics order."""
    model = metrics["model"]["overall"]
    return [
        ClassComparison(name, metric, model[metric], result["overall"][metric])
        for name, result in metrics["baselines"].items()
        for metric in COMPARED
    ]


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# how the verdict says each outcome after "Against <baseline> it ..."
VERBS = {
    "beats": "beats it",
    "ties with": "ties",
    "loses to": "loses",
    "cannot be compared with": "cannot be compared",
}


def verdict(comparisons: list[ClassComparison]) -> str:
    """One sentence per baseline: beaten on every compared figure, or how each went."""
    sentences = []
    for baseline in dict.fromkeys(c.baseline for c in comparisons):
        by_outcome: dict[str, list[str]] = {}
        for c in (c for c in comparisons if c.baseline == baseline):
            by_outcome.setdefault(c.outcome, []).append(LABELS[c.metric])
        if set(by_outcome) == {"beats"}:
            sentences.append(f"The model beats {baseline} on {_listing(by_outcome['beats'])}.")
            continue
        clauses = [f"{VERBS[what]} on {_listing(on)}" for what, on in by_outcome.items()]
        sentences.append(f"Against {baseline} it {_listing(clauses)}.")
    return " ".join(sentences)


def headline_table(metrics: dict) -> str:
    """Model and baselines on the headline figures."""
    rows = [
        "| predictor | accuracy | balanced accuracy | macro F1 | ROC AUC | correct |",
        "|---|---|---|---|---|---|",
    ]
    scored = {"model": metrics["model"], **metrics["baselines"]}
    for name, result in scored.items():
        overall = result["overall"]
        label = f"{name} (always '{result['predicts']}')" if "predicts" in result else name
        figures = " | ".join(format_number(overall[key]) for key in LABELS)
        rows.append(f"| {label} | {figures} | {overall['correct']} of {overall['cases']} |")
    return "\n".join(rows)


def per_class_table(metrics: dict) -> str:
    """Per class: support, the model's precision, recall and F1, each baseline's recall."""
    baselines = list(metrics["baselines"])
    rows = [
        "| class | test cases | precision | recall | F1 | "
        + " | ".join(f"recall {name}" for name in baselines)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(baselines),
    ]
    for name, scores in metrics["model"]["per_class"].items():
        others = [metrics["baselines"][b]["per_class"][name]["recall"] for b in baselines]
        rows.append(
            f"| {name} | {scores['support']} | {format_number(scores['precision'], 3)} | "
            f"{format_number(scores['recall'], 3)} | {format_number(scores['f1'], 3)} | "
            + " | ".join(format_number(value, 3) for value in others)
            + " |"
        )
    return "\n".join(rows)


def confusion_table(metrics: dict) -> str:
    """The model's confusion matrix as a Markdown table (rows actual, columns predicted)."""
    confusion = metrics["model"]["confusion_matrix"]
    labels, matrix = confusion["labels"], confusion["rows_actual_columns_predicted"]
    rows = [
        "| actual \\ predicted | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    rows += [
        f"| {label} | " + " | ".join(str(v) for v in row) + " |"
        for label, row in zip(labels, matrix, strict=True)
    ]
    return "\n".join(rows)


def classification_report(metrics: dict, training_history: dict, model_summary: dict) -> str:
    """The whole report as Markdown text."""
    comparisons = compare_classifiers(metrics)
    cases, classes = metrics["cases"], metrics["classes"]
    nearest = metrics["baselines"].get("one_nn_euclidean", {})
    lines = [
        "# Evaluation report (classification)",
        "",
        f"Test split: {cases:,} cases of {len(classes)} classes ({', '.join(classes)}). The "
        f"baselines predict exactly the same cases, fitted on the TRAIN cases (train + val): "
        + "; ".join(f"{n}: {d}" for n, d in metrics["baseline_definitions"].items())
        + ".",
        "",
        f"1-NN length policy: {nearest.get('length_policy', 'n/a')}.",
        "",
        "## Model and baselines on the test split",
        "",
        headline_table(metrics),
        "",
        f"ROC AUC: {metrics['model']['roc_auc_note']}; {HARD_SCORES}.",
        "",
        f"**Verdict (test split):** {verdict(comparisons)}",
        "",
        *(f"- {c.sentence(cases)}" for c in comparisons),
        "",
        "## Per class (model; recall of each baseline beside it)",
        "",
        per_class_table(metrics),
        "",
        "## Confusion matrix (model; rows actual, columns predicted)",
        "",
        confusion_table(metrics),
        "",
        f"![Confusion matrix]({PLOTS_FOLDER}/confusion_matrix.png)",
        "",
        *training_lines(training_history, model_summary),
        "## Plots",
        "",
        *(f"- [{plot.title}]({PLOTS_FOLDER}/{name}.png)" for name, plot in PLOTS.items()),
        "",
    ]
    return "\n".join(lines)
