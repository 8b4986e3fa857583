"""Study nodes: the stored normalised splits -> shards per study length (windowed again,
or resampled) -> the grid of (length, batch size, seed) points, each trained and measured
in a child process -> the per-length report and heatmaps. The work lives in
:mod:`lstm_pipeline.study`."""

from pathlib import Path

import pandas as pd

from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.pipelines.study.params import StudyParams, studied_settings
from lstm_pipeline.pipelines.windowing.nodes import record_windowing, windowing_job
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.study import inputs
from lstm_pipeline.study.grid import grid_points
from lstm_pipeline.study.run import StudySetup, run_grid
from lstm_pipeline.study.summary import SCORES, heatmap, report_markdown
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.checkpoints import fingerprint
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.sequences import ParquetSequences

BUILD = "lstm_pipeline.pipelines.modelling.nodes:build_untrained_model"  # the modelling stage's


def prepare_study(
    train_series,
    val_series,
    test_series,
    windowing: WindowingParams,
    study: StudyParams,
    seed: int,
    task: Task,
) -> dict:
    """Shards of every study length, written once under ``study.folder``.

    Args:
        train_series, val_series, test_series: the normalised splits.
        windowing: the windowing settings (forecast: ``input_length`` is the study's).
        study: the grid. seed: draws classification's validation cases (when the stored
            validation split is empty). task: ``params:task``.

    Returns:
        ``{"task", "lengths": [{"length", "factor", "train", "val", "test", "record"}]}``:
        the shard folders and the windowing record of each length.
    """
    settings = {**windowing.model_dump(), "task": task}
    series = {"train": train_series, "val": val_series, "test": test_series}
    sources = [(str(s.path), s.lineage) for s in series.values()]
    share = study.classification.validation
    key = fingerprint(settings, sources, share if task == "classification" else None, seed)
    folder = Path(study.folder) / f"inputs-{key[:8]}"
    if task == "forecast":
        lengths = _forecast_inputs(folder, series, settings, study.forecast.input_lengths)
    else:
        frames = inputs.with_validation({k: s.to_pandas() for k, s in series.items()}, share, seed)
        lengths = inputs.classification_lengths(
            folder, frames, study.classification.length_factors, _sequence_job(settings)
        )
    for entry in lengths:
        sets = [ShardSet(entry[split]) for split in inputs.SPLITS]
        entry["record"] = record_windowing(settings, *sets)
    return {"task": task, "lengths": lengths}


def _forecast_inputs(folder: Path, series: dict, settings: dict, lengths: list[int]):
    order = list(inputs.SPLITS)

    def make_job(split: str, input_length: int):
        earlier = [series[name] for name in order[: order.index(split)]]  # context rows
        return windowing_job(series[split], {**settings, "input_length": input_length}, *earlier)

    return inputs.forecast_lengths(folder, lengths, make_job)


def _sequence_job(settings: dict):
    return lambda path: windowing_job(ParquetSequences(path), settings)


def run_study(
    study_inputs: dict,
    study: StudyParams,
    modelling: ModelSpec,
    training: TrainingConfig,
    seed: int,
    task: Task,
) -> pd.DataFrame:
    """Train and measure every (length, batch size, seed) point, each in a child process,
    in an interleaved order (:func:`~lstm_pipeline.study.grid.grid_points`, seeded).

    Returns:
        One row a point (:data:`lstm_pipeline.study.run.COLUMNS`).
    """
    modelling, training = studied_settings(study, modelling, training)
    grid = study.grid(task)
    lengths = [entry["length"] for entry in study_inputs["lengths"]]
    setup = StudySetup(
        task=task,
        modelling=modelling.model_dump(),
        training=training.model_dump(),
        epochs=grid.epochs,
        samples_per_epoch=grid.samples_per_epoch,
        steps_per_epoch=grid.steps_per_epoch,
        inputs=study_inputs["lengths"],
        build=BUILD,
        folder=Path(study.folder) / "points",
        timeout=study.timeout,
    )
    return run_grid(grid_points(lengths, grid.batch_sizes, study.seeds, seed), setup)


def report_study(study_points: pd.DataFrame, task: Task):
    """The per-length report (Markdown) and two heatmaps: the validation score, and
    samples/s, over length x batch size (mean over seeds)."""
    val, _, _ = SCORES[task]
    title = f"Batch size x sequence length ({task})"
    return (
        report_markdown(study_points, task, title),
        heatmap(study_points, task, val, f"{title}: {val}, mean over seeds"),
        heatmap(study_points, task, "samples_per_s", f"{title}: samples/s, mean over seeds"),
    )
