"""backtest (on demand): ``series`` -> one namespace a fold (``backtest.fold_1``, ...), each
the normalisation, windowing, modelling, training and evaluation stages on the fold's own
rows -> backtest_metrics, backtest_report and backtest_plots over every fold (the node
``backtest.summarise_backtest``: kedro-viz shows the folds and the summary in one group).

A fold reuses the stages' pipelines as they are, with two nodes swapped: its split ranges
come from the backtest settings (``find_split_ranges``), and training writes its checkpoints
into the fold's own folder (``train_model``). Parameters stay global; every dataset of a
fold is prefixed with its namespace (catalog patterns ``backtest.fold_{n}.<name>``).

    kedro run --pipelines=backtest                              # every fold, then the summary
    kedro run --pipelines=backtest --namespaces=backtest.fold_2  # one fold alone
"""

from functools import cache, partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from lstm_pipeline.backtest import NAMESPACE
from lstm_pipeline.pipelines.backtest.configuration import configured_folds
from lstm_pipeline.pipelines.backtest.nodes import (
    find_fold_ranges,
    summarise_backtest,
    train_fold_model,
)
from lstm_pipeline.pipelines.evaluation.pipeline import create_pipeline as evaluation
from lstm_pipeline.pipelines.modelling.pipeline import create_pipeline as modelling
from lstm_pipeline.pipelines.normalisation.pipeline import create_pipeline as normalisation
from lstm_pipeline.pipelines.training.pipeline import create_pipeline as training
from lstm_pipeline.pipelines.windowing.pipeline import create_pipeline as windowing

SETTINGS = "params:backtest"
SUMMARY_NAMESPACE = "backtest"  # the folds' namespaces lie inside it
FOLD_INPUTS = {"series"}  # the one dataset a fold reads from outside its namespace


def create_pipeline(**kwargs) -> Pipeline:
    """As many fold namespaces as ``backtest.folds`` of the configuration, then the summary."""
    built = configured_folds()
    folds = [fold_pipeline(number, built) for number in range(1, built + 1)]
    per_fold = [
        f"{NAMESPACE.format(number=number)}.{name}"
        for number in range(1, built + 1)
        for name in ("split_ranges", "metrics")
    ]
    summary = Node(
        _bound(summarise_backtest, built=built),
        inputs=[SETTINGS, *per_fold],
        outputs=["backtest_metrics", "backtest_report", "backtest_plots"],
        name="summarise_backtest",
        namespace=SUMMARY_NAMESPACE,
    )
    return sum(folds, Pipeline([])) + Pipeline([summary])


def fold_pipeline(number: int, built: int) -> Pipeline:
    """Fold ``number``'s stages under its namespace, reading the global ``series`` and
    parameters."""
    stages = sum(fold_stages(number, built).values(), Pipeline([]))
    parameters = {name for name in stages.inputs() if name.startswith("params:")}
    outside = stages.inputs() - parameters
    if outside != FOLD_INPUTS:
        raise ValueError(f"a backtest fold reads {sorted(outside)}, expected {FOLD_INPUTS}")
    return Pipeline(
        stages,
        namespace=NAMESPACE.format(number=number),
        inputs=FOLD_INPUTS,
        parameters=parameters,
    )


def fold_stages(number: int, built: int) -> dict[str, Pipeline]:
    """Stage name -> that stage's pipeline for fold ``number`` (not yet namespaced)."""
    ranges = _bound(find_fold_ranges, fold=number, built=built)
    return {
        "normalisation": _swap(
            normalisation(),
            "find_split_ranges",
            ranges,
            inputs=["series", SETTINGS, "params:normalisation", "params:task"],
        ),
        "windowing": windowing(),
        "modelling": modelling(),
        "training": _swap(
            training(), "train_model", _bound(train_fold_model, fold=number), extra=[SETTINGS]
        ),
        "evaluation": evaluation(),
    }


def _swap(pipeline: Pipeline, name: str, func, inputs=None, extra=()) -> Pipeline:
    """``pipeline`` with node ``name`` made of ``func``: the same name, outputs and tags,
    its inputs (or ``inputs``) followed by ``extra``."""
    (old,) = [node for node in pipeline.nodes if node.name == name]
    outputs = old.outputs[0] if len(old.outputs) == 1 else old.outputs  # one: not a list
    new = Node(
        func,
        inputs=[*(inputs or old.inputs), *extra],
        outputs=outputs,
        name=name,
        tags=old.tags,
    )
    return Pipeline([*(node for node in pipeline.nodes if node is not old), new])


def _bound(func, **arguments):
    """``func`` with keyword arguments fixed, keeping its name, annotations (Kedro validates
    ``params:`` inputs against them) and docstring; picklable, unlike a closure."""
    return update_wrapper(partial(func, **arguments), func)


@cache
def _stage_of_step() -> dict[str, str]:
    return {node.name: stage for stage, pipe in fold_stages(1, 1).items() for node in pipe.nodes}


def fold_stage(node: Node) -> str | None:
    """``<namespace>.<stage>`` for a node of a backtest fold (e.g. 'backtest.fold_2.training'),
    so lineage tells one fold's stages from another's; None for any other node."""
    prefix = NAMESPACE.format(number="")
    if not (node.namespace or "").startswith(prefix):
        return None
    return f"{node.namespace}.{_stage_of_step()[node.name.removeprefix(node.namespace + '.')]}"
