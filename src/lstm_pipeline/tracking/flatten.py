"""Nested settings and reports as MLflow holds them: flat parameters (text) and metrics.

>>> flat_params({"training": {"epochs": 2, "auto_batch_sizes": [32, 64]}})
{'training.epochs': '2', 'training.auto_batch_sizes': '[32, 64]'}
>>> numeric_leaves({"model": {"mae": 0.5, "per_step": [0.4, 0.6]}, "task": "forecast"})
({'model.mae': 0.5}, {'model.per_step': [0.4, 0.6]})
"""

import json
import math
import re

PARAM_VALUE_LIMIT = 6000  # characters MLflow 3 keeps of a parameter value
_NOT_IN_A_KEY = re.compile(r"[^\w\-. /]")  # MLflow keys: letters, digits, _ - . space /


def mlflow_key(key: str) -> str:
    """``key`` with every character MLflow refuses in a name replaced by ``_``."""
    return _NOT_IN_A_KEY.sub("_", key)


def plain(value):
    """``value`` with every pydantic model in it as its JSON-ready dict (Kedro hands
    parameters validated, as the models of the node signatures)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def flat_params(params: dict, prefix: str = "") -> dict[str, str]:
    """Every leaf of ``params`` under its dotted path, as text: strings as they are, other
    values as JSON (``true``, ``null``, ``[32, 64]``); lists and empty mappings are leaves."""
    flat = {}
    for key, value in plain(params).items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flat_params(value, f"{path}."))
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        flat[mlflow_key(path)] = text[:PARAM_VALUE_LIMIT]
    return flat


def numeric_leaves(report: dict, prefix: str = "") -> tuple[dict, dict]:
    """``(scalars, series)`` of a nested report: each number under its dotted path, and
    each list of numbers (a value per horizon step, say) as a series; text, booleans,
    NaN and nested lists are left out (the report itself is logged as an artifact)."""
    scalars, series = {}, {}
    for key, value in report.items():
        path = mlflow_key(f"{prefix}{key}")
        if isinstance(value, dict):
            more_scalars, more_series = numeric_leaves(value, f"{path}.")
            scalars.update(more_scalars)
            series.update(more_series)
        elif _is_number(value):
            scalars[path] = float(value)
        elif isinstance(value, list) and value and all(map(_is_number, value)):
            series[path] = [float(v) for v in value]
    return scalars, series


def _is_number(value) -> bool:
    is_numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return is_numeric and math.isfinite(value)
