"""The base of every parameter model, and parameter errors that name the dotted path.

Kedro turns each ``params:<key>`` node input into its model before any node runs; a bad
value stops the run with every problem of that model listed, as
``training.epochs = 0: Input should be greater than or equal to 1``.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from lstm_pipeline.errors import SettingsError


class StrictModel(BaseModel):
    """Unknown keys are refused (a typo never passes silently) and values are frozen.

    ``parameter_key`` names the top-level parameter a model validates (``training``), so
    its errors carry the full dotted path.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    parameter_key: ClassVar[str | None] = None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs):
        """As pydantic's, but a failure is a :class:`SettingsError` listing each problem
        with its dotted path, the value given and what is allowed."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            lines = describe_errors(exc, cls.parameter_key)
            raise SettingsError("\n".join(lines)) from exc


def describe_errors(error: ValidationError, prefix: str | None = None) -> list[str]:
    """One line per problem: ``<dotted path> = <value>: <what is allowed>``."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part is not None)
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        given = "" if isinstance(value, dict) else f" = {value!r}"
        lines.append(f"{path or '(parameters)'}{given}: {message}")
    return lines
