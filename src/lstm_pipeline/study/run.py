"""The study's grid run point by point (each in its own child process), one log line a
point, into the per-point table."""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lstm_pipeline.study.point import measure_point, point_training

logger = logging.getLogger(__name__)

COLUMNS = [
    "position", "task", "length", "factor", "batch_size", "seed", "epochs_run", "best_epoch",
    "val_loss", "val_accuracy", "test_loss", "test_accuracy", "epoch_s", "samples_per_s",
    "peak_rss_mb", "train_s", "wall_s", "error",
]  # fmt: skip


@dataclass(frozen=True)
class StudySetup:
    """What every point shares: the task, the model and training settings (dicts, the
    batch size and epochs set per point), where the shards of each length are, and the
    ``module:function`` that builds a model from a windowing record."""

    task: str
    modelling: dict
    training: dict
    epochs: int
    samples_per_epoch: int | None
    steps_per_epoch: int | None
    inputs: list[dict]  # per length: length, factor, train, val, test, record
    build: str
    folder: Path
    timeout: float


def run_grid(points: list[dict], setup: StudySetup) -> pd.DataFrame:
    """Every point of ``points`` (:func:`~lstm_pipeline.study.grid.grid_points`, lengths
    as in ``setup.inputs``) trained and measured; one row a point, :data:`COLUMNS`. A
    point that fails or runs past the timeout keeps its row with ``error`` said."""
    by_length = {entry["length"]: entry for entry in setup.inputs}
    rows = []
    for point in points:
        entry = by_length[point["length"]]
        folder = setup.folder / f"point_{point['position']:04d}"
        result = measure_point(_spec(point, entry, setup, folder), folder, setup.timeout)
        row = {**point, "task": setup.task, "factor": entry["factor"], **result}
        rows.append({column: row.get(column, math.nan) for column in COLUMNS})
        _log_point(rows[-1], len(points))
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["error"] = table["error"].where(table["error"].notna(), None).astype(object)
    return table


def _spec(point: dict, entry: dict, setup: StudySetup, folder: Path) -> dict:
    training = point_training(
        setup.training,
        point["batch_size"],
        setup.epochs,
        setup.samples_per_epoch,
        folder,
        steps=setup.steps_per_epoch,
    )
    return {
        "task": setup.task,
        "seed": point["seed"],
        "modelling": setup.modelling,
        "training": training,
        "record": entry["record"],
        "shards": {split: entry[split] for split in ("train", "val", "test")},
        "build": setup.build,
    }


def _log_point(row: dict, total: int) -> None:
    where = f"point {row['position'] + 1}/{total}: length {row['length']}, batch " \
        f"{row['batch_size']}, seed {row['seed']}"  # fmt: skip
    if isinstance(row["error"], str):
        logger.warning("%s failed: %s", where, row["error"])
        return
    metric = "val_accuracy" if row["task"] == "classification" else "val_loss"
    logger.info(
        "%s: %s %.4f, %.0f samples/s, %.2f s/epoch, peak %.0f MB, %d epochs",
        *(where, metric, row[metric], row["samples_per_s"], row["epoch_s"]),
        *(row["peak_rss_mb"], row["epochs_run"]),
    )
