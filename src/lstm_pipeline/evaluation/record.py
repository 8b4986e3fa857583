"""The evaluation stage record: a short summary written after every other evaluation output,
one function per task.

>>> record = evaluation_record(metrics, samples, predictions_rows=105_720,
...                            report=text, plots=["learning_curves", ...])
>>> record["per_target"]["load"]["model"]["mae"], record["verdict"]["load"]
>>> record = classification_record(metrics, samples, predictions_rows=150, report=text,
...                                plots=["confusion_matrix", ...])
>>> record["model"]["accuracy"], record["verdict"]
"""

from lstm_pipeline.errors import GenerationMismatchError
from lstm_pipeline.evaluation.classification_report import compare_classifiers, verdict
from lstm_pipeline.evaluation.comparison import METRICS, compare_with_baselines, summary_sentence
from lstm_pipeline.evaluation.plots import PLOTS_FOLDER


def artifacts(metrics: dict, predictions_rows: int, report: str, plots: list[str]) -> dict:
    """What each evaluation artifact holds (both tasks)."""
    return {
        "metrics": {"task": metrics.get("task"), "predictors": ["model", *metrics["baselines"]]},
        "predictions": {"rows": predictions_rows},
        "report": {"characters": len(report)},
        "plots": [f"{PLOTS_FOLDER}/{name}.png" for name in plots],
        "plotly": [f"{PLOTS_FOLDER}/{name}.plotly.json" for name in plots],
    }


def evaluation_record(
    metrics: dict, samples: dict, *, predictions_rows: int, report: str, plots: list[str]
) -> dict:
    """Windows, model and baselines' MAE/RMSE per target with the verdict, and what each
    artifact holds.

    Raises:
        GenerationMismatchError: the predictions table's rows do not match the metrics'
            windows x horizon x targets (outputs of different runs).
    """
    targets = list(metrics["model"]["per_target"])
    horizon = len(metrics["model"]["per_horizon_step"]["mae"])
    expected = metrics["windows"] * horizon * len(targets)
    if predictions_rows != expected:
        raise GenerationMismatchError(
            f"The predictions table has {predictions_rows} rows but metrics.json describes "
            f"{expected} ({metrics['windows']} windows x {horizon} steps x {len(targets)} "
            f"targets): they come from different runs. Run the evaluation pipeline again."
        )
    record = {
        "task": "forecast",
        "windows": metrics["windows"],
        "horizon": horizon,
        "units": {t: (metrics.get("units") or {}).get(t) for t in targets},
        "per_target": {t: _scores(metrics, t) for t in targets},
        "verdict": {t: summary_sentence(compare_with_baselines(metrics, t)) for t in targets},
        "artifacts": {
            **artifacts(metrics, predictions_rows, report, plots),
            "evaluation_samples": {
                "windows": len(samples.get("windows", [])),
                "residuals": len(samples.get("residuals", [])),
            },
        },
    }
    if metrics.get("quantiles"):  # a quantile head: absent otherwise, as before
        record["quantiles"] = _quantile_summary(metrics["quantiles"])
    return record


def _quantile_summary(quantiles: dict) -> dict:
    """Levels, and per target the mean pinball loss and each interval's nominal and
    measured coverage."""
    per_target = {
        target: {
            "mean_pinball_loss": scores["mean_pinball_loss"],
            "coverage": {
                key: {"nominal": i["nominal"], "measured": i["coverage"]}
                for key, i in scores["intervals"].items()
            },
        }
        for target, scores in quantiles["per_target"].items()
    }
    return {"levels": quantiles["levels"], "per_target": per_target}


def _scores(metrics: dict, target: str) -> dict:
    def pick(result: dict) -> dict:
        return {metric: result["per_target"][target][metric] for metric in METRICS}

    outcomes: dict[str, dict] = {}
    for comparison in compare_with_baselines(metrics, target):
        outcomes.setdefault(comparison.baseline, {})[comparison.metric] = comparison.outcome
    return {
        "model": pick(metrics["model"]),
        "baselines": {name: pick(result) for name, result in metrics["baselines"].items()},
        "model_vs_baselines": outcomes,
    }


def classification_record(
    metrics: dict, samples: dict, *, predictions_rows: int, report: str, plots: list[str]
) -> dict:
    """Cases and classes, the model's and each baseline's headline figures, the verdict
    against each baseline, and what each artifact holds.

    Raises:
        GenerationMismatchError: the predictions table's rows are not the metrics' cases
            (outputs of different runs).
    """
    if predictions_rows != metrics["cases"]:
        raise GenerationMismatchError(
            f"The predictions table has {predictions_rows} rows but metrics.json describes "
            f"{metrics['cases']} test cases: they come from different runs. Run the evaluation "
            f"pipeline again."
        )
    comparisons = compare_classifiers(metrics)
    outcomes: dict[str, dict] = {}
    for comparison in comparisons:
        outcomes.setdefault(comparison.baseline, {})[comparison.metric] = comparison.outcome
    return {
        "task": "classification",
        "cases": metrics["cases"],
        "classes": metrics["classes"],
        "model": metrics["model"]["overall"],
        "baselines": {name: result["overall"] for name, result in metrics["baselines"].items()},
        "model_vs_baselines": outcomes,
        "verdict": verdict(comparisons),
        "artifacts": {
            **artifacts(metrics, predictions_rows, report, plots),
            "evaluation_samples": {"cases": len(samples.get("cases", []))},
        },
    }
