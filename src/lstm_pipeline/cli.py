"""The project's ``kedro run``: Kedro's own command, with list values in ``--params``.

Kedro splits ``--params`` at every comma, so ``training.auto_batch_sizes=[32,64]`` arrives
as two broken items. Here commas inside brackets, braces or quotes do not separate items:

    kedro run --params "training.auto_batch_sizes=[32,64],training.epochs=3"
"""

import copy

import click
from kedro.framework.cli.project import run as kedro_run
from omegaconf import OmegaConf


def split_top_level(text: str) -> list[str]:
    """``text`` split at the commas that are outside brackets, braces and quotes."""
    items, current, depth, quote = [], [], 0, None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_params(ctx: click.Context, param: click.Parameter, value) -> dict:
    """``key=value`` items (values parsed as YAML: numbers, lists, null) -> nested dict."""
    if isinstance(value, dict):
        return value
    dot_list = []
    for item in split_top_level(value or ""):
        key, equals, _ = item.partition("=")
        if not equals or not key.strip():
            ctx.fail(f"Invalid --{param.name} item '{item}': expected key=value.")
        dot_list.append(item)
    return OmegaConf.to_container(OmegaConf.from_dotlist(dot_list))


def _with_list_params(command: click.Command) -> click.Command:
    run = copy.copy(command)
    run.params = [copy.copy(p) for p in command.params]
    for option in run.params:
        if option.name == "params":
            option.callback = parse_params
    return run


@click.group(name="lstm-pipeline")
def cli():
    """Project commands (kedro run with list values in --params)."""


run = _with_list_params(kedro_run)
cli.add_command(run, "run")
