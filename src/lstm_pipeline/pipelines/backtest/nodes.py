"""Backtest nodes: one fold's split ranges, one fold's training (its own checkpoints), and
the folds' metrics summed up. The fold number is bound to the node function when the
pipeline is built (``functools.partial``); the work is done by :mod:`lstm_pipeline.backtest`
and by the stages' own nodes."""

import logging

import pandas as pd

from lstm_pipeline.backtest import (
    FOLDER,
    FOLDS_PLOT,
    backtest_report,
    backtest_summary,
    check_fold_count,
    draw_folds,
    rolling_ranges,
)
from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models import ModelSpec
from lstm_pipeline.pipelines.backtest.params import BacktestParams
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.pipelines.training.nodes import train_model
from lstm_pipeline.scaling.scaler import check_train_split
from lstm_pipeline.scaling.split import SPLITS, take
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.reader import ShardSet

logger = logging.getLogger(__name__)


def find_fold_ranges(
    series: pd.DataFrame,
    backtest: BacktestParams,
    normalisation: NormalisationParams,
    task: Task,
    *,
    fold: int,
    built: int,
) -> dict:
    """The train/val/test row ranges of fold ``fold`` (the format of ``find_split_ranges``,
    plus ``fold``), once every fold is known to fit the series and the train part to suit
    the scaler (checked here, so a bad setting replaces nothing)."""
    check_fold_count(backtest.folds, built)
    if task != "forecast":
        raise SettingsError(
            f"task = '{task}': the backtest rolls forecast origins through one time series; "
            f"labelled sequences keep the archive's TRAIN/TEST split (task: forecast)"
        )
    blocks = series.attrs.get("series")
    ranges = rolling_ranges(
        series.index, blocks, backtest, fold, normalisation.split.min_train_rows
    )
    for name, reason in ranges.get("skipped", {}).items():
        logger.warning("Series %s is skipped in fold %d: %s", name, fold, reason)
    pca = normalisation.pca.columns if normalisation.pca.enabled else None
    check_train_split(take(series, ranges, "train"), pca)
    for name in SPLITS:
        logger.info("fold %d, %s split: %d rows", fold, name, ranges[name]["rows"])
    return {**ranges, "fold": {"number": fold, "of": built, "window": backtest.window}}


def fold_training(training: TrainingConfig, folder: str, fold: int) -> TrainingConfig:
    """The training settings with this fold's own checkpoint and TensorBoard folders, so no
    fold resumes (or replaces) another fold's or the plain run's checkpoints."""
    own = f"{folder}/{FOLDER.format(number=fold)}"
    logs = None if training.tensorboard_dir is None else f"{own}/07_model_output/tensorboard"
    return training.model_copy(
        update={"checkpoint_dir": f"{own}/06_models/checkpoints", "tensorboard_dir": logs}
    )


def train_fold_model(
    untrained_model,
    train_shards: ShardSet,
    val_shards: ShardSet,
    planned_batch_size: dict,
    training: TrainingConfig,
    modelling: ModelSpec,
    seed: int,
    task: Task,
    backtest: BacktestParams,
    *,
    fold: int,
):
    """The training stage's ``train_model``, into this fold's checkpoint folder."""
    own = fold_training(training, backtest.folder, fold)
    return train_model(
        untrained_model, train_shards, val_shards, planned_batch_size, own, modelling, seed, task
    )


def summarise_backtest(backtest: BacktestParams, *per_fold: dict, built: int) -> tuple:
    """Every fold's ``split_ranges`` and ``metrics`` (in that order, fold after fold) ->
    backtest_metrics (per fold, and mean ± std per forecaster and metric), the Markdown
    report and the plot of each metric per fold."""
    check_fold_count(backtest.folds, built)
    folds = list(zip(per_fold[::2], per_fold[1::2], strict=True))
    summary = backtest_summary(backtest, folds)
    return summary, backtest_report(summary), {FOLDS_PLOT: draw_folds(summary)}
