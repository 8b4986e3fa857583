"""The search space (``tuning.space``): each entry a range or a list of choices, and what
a trial's values change in the project's parameters.

    >>> space = SearchSpace.model_validate(
    ...     {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
    ...      "cell": {"choices": ["lstm", "gru"]}, "batch_size": None})
    >>> parameter_updates({"learning_rate": 3e-3, "cell": "gru"}, ModelSpec())
    {'modelling': {'architecture': 'gru'}, 'training': {'learning_rate': 0.003}}
"""

from typing import Annotated, Any

from pydantic import Field, model_validator

from lstm_pipeline.models.spec import Cell, ModelSpec
from lstm_pipeline.parameters import StrictModel

Positive = Annotated[int, Field(ge=1)]


class IntRange(StrictModel):
    """Integers from ``low`` to ``high`` (both included), every ``step``th, or spread on a
    log scale (``log: true``, then ``step`` stays 1, as Optuna requires)."""

    low: Positive
    high: Positive
    log: bool = False
    step: Positive = 1

    @model_validator(mode="after")
    def _ordered(self):
        _check_range(self.low, self.high, self.log, self.step != 1)
        return self


class FloatRange(StrictModel):
    """Numbers from ``low`` to ``high``, on a log scale (``log: true``) or in ``step``s."""

    low: float
    high: float
    log: bool = False
    step: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        _check_range(self.low, self.high, self.log, self.step is not None)
        return self


class IntChoice(StrictModel):
    choices: list[Positive] = Field(min_length=1)


class FloatChoice(StrictModel):
    choices: list[float] = Field(min_length=1)


class CellChoice(StrictModel):
    choices: list[Cell] = Field(min_length=1)


def _check_range(low, high, log: bool, stepped: bool) -> None:
    if low > high:
        raise ValueError(f"low {low} is above high {high}")
    if log and low <= 0:
        raise ValueError(f"log: true needs low > 0, got {low}")
    if log and stepped:
        raise ValueError("log: true and step cannot be combined (Optuna refuses it)")


class SearchSpace(StrictModel):
    """What a trial may change; an entry set to null keeps the value of the project's
    parameters. ``units`` and ``layers`` together make ``modelling.recurrent.units``
    (``layers`` times ``units``). Defaults equal conf/base."""

    batch_size: IntRange | IntChoice | None = IntChoice(choices=[64, 128, 256])
    input_length: IntRange | IntChoice | None = IntChoice(choices=[96, 168])
    units: IntRange | IntChoice | None = IntRange(low=16, high=128, log=True)
    layers: IntRange | IntChoice | None = IntRange(low=1, high=2)
    cell: CellChoice | None = CellChoice(choices=["lstm", "gru"])
    learning_rate: FloatRange | FloatChoice | None = FloatRange(low=1e-4, high=1e-2, log=True)
    dropout: FloatRange | FloatChoice | None = FloatRange(low=0.0, high=0.3)

    @model_validator(mode="after")
    def _sensible_floats(self):
        if self.learning_rate is not None and min(_bounds(self.learning_rate)) <= 0:
            raise ValueError("learning_rate: every value must be above 0")
        if self.dropout is not None and not all(0 <= v < 1 for v in _bounds(self.dropout)):
            raise ValueError("dropout: every value must lie in [0, 1)")
        return self

    def entries(self) -> dict[str, Any]:
        """The entries that are set, by name."""
        return {name: entry for name, entry in self if entry is not None}


RECURRENT_KEYS = ("units", "layers", "cell", "dropout")
"""Entries that change the recurrent stack (modelling.recurrent)."""


def _bounds(entry) -> list:
    return list(entry.choices) if hasattr(entry, "choices") else [entry.low, entry.high]


def suggest(trial, space: SearchSpace) -> dict[str, Any]:
    """The trial's value of each entry of ``space`` (an Optuna ``Trial``'s suggest_*)."""
    values = {}
    for name, entry in space.entries().items():
        if hasattr(entry, "choices"):
            values[name] = trial.suggest_categorical(name, list(entry.choices))
        elif isinstance(entry, IntRange):
            values[name] = trial.suggest_int(
                name, entry.low, entry.high, step=entry.step, log=entry.log
            )
        else:
            values[name] = trial.suggest_float(
                name, entry.low, entry.high, step=entry.step, log=entry.log
            )
    return values


def parameter_updates(values: dict[str, Any], modelling: ModelSpec) -> dict[str, dict]:
    """The trial's values as the project's nested parameters (only the keys they change):
    ``{"modelling": {...}, "training": {...}, "windowing": {...}}``, blocks without a change
    left out. ``modelling`` supplies what ``units`` or ``layers`` alone leave open."""
    updates: dict[str, dict] = {"modelling": {}, "training": {}, "windowing": {}}
    for name in ("batch_size", "learning_rate"):
        if name in values:
            updates["training"][name] = values[name]
    if "input_length" in values:
        updates["windowing"]["input_length"] = values["input_length"]
    recurrent = {}
    if "units" in values or "layers" in values:
        units = values.get("units", modelling.recurrent.units[0])
        recurrent["units"] = [units] * values.get("layers", len(modelling.recurrent.units))
    if "dropout" in values:
        recurrent["dropout"] = values["dropout"]
    if "cell" in values and modelling.architecture in ("lstm", "gru"):
        updates["modelling"]["architecture"] = values["cell"]  # these are stacks of the cell
    elif "cell" in values:
        recurrent["cell"] = values["cell"]
    if recurrent:
        updates["modelling"]["recurrent"] = recurrent
    return {block: changed for block, changed in updates.items() if changed}


def merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` merged in, nested dicts key by key."""
    result = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result
