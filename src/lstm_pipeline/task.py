"""The run-wide task: which path every stage takes (``params:task``)."""

from typing import Literal, get_args

Task = Literal["forecast", "classification"]
TASKS: tuple[str, ...] = get_args(Task)
