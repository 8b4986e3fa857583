"""Which run made each artifact, and refusing to mix the outputs of different runs.

A stage (ingestion, windowing, evaluation, ...) writes several outputs, possibly from
several processes (Airflow runs one node per task), so they cannot be published together in
one atomic step. Instead each output carries a *lineage*:

- ``generation``: minted once per run of a stage, by its first node; every later node of
  the stage inherits it from its inputs of the same stage;
- ``fingerprint``: a hash of what the node made it from (its parameters and the
  generations of its inputs);
- ``upstream``: the generation of every earlier stage it depends on, transitively.

Before a node runs, its inputs must agree: two inputs of one stage with different
generations, or one input made from generation A of a stage while another input is
generation B of it, are a mixture (left by a killed or a concurrent run) and raise
:class:`GenerationMismatchError` naming both. A stage ends with a small record written last
(``windowing_record``, ``evaluation_record``); the next complete run repairs any mixture.

How an object carries its lineage depends on its type (:func:`attach`, :func:`lineage_of`):
a ``"lineage"`` key in dicts (JSON artifacts), ``attrs`` of DataFrames (Parquet metadata),
a ``lineage`` attribute (shard sets, windowing jobs, Parquet handles), ``layout.meta`` of
Plotly figures, a trailing comment in Markdown text, and a side table for Keras models
(the ``.keras`` file carries it, see ``KerasModelDataset``).

    >>> made = node_lineage("windowing", "window_train_split", {"windowing_settings": s}, {})
    >>> check_consistent("train_model", {"train_shards": a, "val_shards": b})
"""

import hashlib
import json
import re
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from lstm_pipeline.errors import GenerationMismatchError

KEY = "lineage"
_TEXT_MARK = re.compile(r"\n<!-- lineage: (?P<json>\{.*\}) -->\n?$")
_KERAS_MODELS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def node_lineage(stage: str, node: str, inputs: dict[str, Any], parameters: dict) -> dict:
    """The lineage of what ``node`` (of ``stage``) makes from ``inputs`` (name -> loaded
    object) and ``parameters`` (name -> value). Raises :class:`GenerationMismatchError`
    when the inputs are a mixture of runs."""
    carried = {name: found for name, obj in inputs.items() if (found := lineage_of(obj))}
    check_consistent(node, carried)
    same_stage = {lin["generation"] for lin in carried.values() if lin["stage"] == stage}
    upstream: dict[str, str] = {}
    for lin in carried.values():
        upstream.update(lin.get("upstream", {}))
        if lin["stage"] != stage:
            upstream[lin["stage"]] = lin["generation"]
    made_from = {
        "parameters": {name: _plain(value) for name, value in sorted(parameters.items())},
        "inputs": {name: lin["generation"] for name, lin in sorted(carried.items())},
    }
    return {
        "stage": stage,
        "generation": same_stage.pop() if same_stage else uuid.uuid4().hex[:12],
        "fingerprint": fingerprint(made_from),
        "upstream": dict(sorted(upstream.items())),
        "node": node,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def check_consistent(node: str, carried: dict[str, dict]) -> None:
    """Raise naming two inputs of ``node`` that claim different generations of one stage.

    ``carried`` maps input name -> its lineage. An input claims its own stage's generation
    and, through ``upstream``, the generation of every stage it was made from.
    """
    claims: dict[str, tuple[str, str, bool]] = {}  # stage -> (generation, input, own)
    for name, lin in sorted(carried.items()):
        own = [(lin["stage"], lin["generation"], True)]
        made_from = [(s, g, False) for s, g in lin.get("upstream", {}).items()]
        for stage, generation, is_own in own + made_from:
            if stage not in claims:
                claims[stage] = (generation, name, is_own)
                continue
            other, other_name, other_own = claims[stage]
            if other != generation:
                raise GenerationMismatchError(
                    _mismatch(
                        node, stage, (name, generation, is_own), (other_name, other, other_own)
                    )
                )


def _mismatch(node: str, stage: str, first: tuple, second: tuple) -> str:
    def says(name, generation, own):
        return (
            f"'{name}' is {stage} generation {generation}"
            if own
            else f"'{name}' was made from {stage} generation {generation}"
        )

    hint = (
        "a model trained on other shards than the ones it is evaluated on; run training "
        "again (kedro run --pipelines=modelling,training,evaluation)"
        if stage == "windowing" and "model" in (first[0], second[0])
        else f"a killed or concurrent run left a mixture; run the {stage} stage again "
        f"(kedro run --pipelines={stage}) and what follows it"
    )
    return (
        f"Node '{node}' refuses to run on a mixture: {says(*first)}, but {says(*second)}. "
        f"This is {hint}."
    )


def fingerprint(made_from: Any) -> str:
    """A short hash of a JSON-able description of what something was made from."""
    text = json.dumps(made_from, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic parameter models
    return dump() if callable(dump) else value


def lineage_of(obj: Any) -> dict | None:
    """The lineage ``obj`` carries, or None (parameters, raw inputs, older artifacts)."""
    if isinstance(obj, dict):
        found = obj.get(KEY)
    elif isinstance(obj, str):
        match = _TEXT_MARK.search(obj)
        found = json.loads(match["json"]) if match else None
    elif _is_keras_model(obj):
        found = _KERAS_MODELS.get(obj)
    elif hasattr(obj, "attrs") and isinstance(getattr(obj, "attrs", None), dict):
        found = obj.attrs.get(KEY)  # pandas DataFrame
    elif _is_plotly(obj):
        meta = obj.layout.meta
        found = meta.get(KEY) if isinstance(meta, dict) else None
    else:
        found = getattr(obj, KEY, None)
    return found if isinstance(found, dict) and "generation" in found else None


def attach(obj: Any, lineage: dict) -> Any:
    """Make ``obj`` carry ``lineage``; returns ``obj`` (or, for text, a new string)."""
    if isinstance(obj, dict):
        obj[KEY] = lineage
    elif isinstance(obj, str):
        obj = _TEXT_MARK.sub("", obj).rstrip("\n") + f"\n<!-- lineage: {json.dumps(lineage)} -->\n"
    elif _is_keras_model(obj):
        _KERAS_MODELS[obj] = lineage
    elif hasattr(obj, "attrs") and isinstance(getattr(obj, "attrs", None), dict):
        obj.attrs[KEY] = lineage
    elif _is_plotly(obj):
        meta = obj.layout.meta if isinstance(obj.layout.meta, dict) else {}
        obj.layout.meta = {**meta, KEY: lineage}
    else:
        try:
            setattr(obj, KEY, lineage)
        except (AttributeError, TypeError):
            return obj  # an object that cannot carry it (e.g. a tuple): nothing to check later
    return obj


def _is_keras_model(obj: Any) -> bool:
    return any(
        cls.__module__.startswith("keras") and cls.__name__ in ("Model", "Functional")
        for cls in type(obj).__mro__
    )


def _is_plotly(obj: Any) -> bool:
    return type(obj).__module__.startswith("plotly") and hasattr(obj, "layout")
