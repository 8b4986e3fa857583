"""Divergence: a loss that is no longer finite or has grown far beyond where the run began,
and what in the train shards may explain it.

A loss can explode and stay finite (a learning rate of 1e6 without clipping gives losses
around 1e13), so "not NaN" is not enough. The reference is the run's first micro-batch loss,
taken before any update; a training or validation loss more than ``DIVERGENCE_FACTOR`` times
above it stops the run. Inputs are scaled, so a healthy run never comes near that factor.
"""

import math
from dataclasses import dataclass

import numpy as np

from lstm_pipeline.errors import TrainingDivergedError

DIVERGENCE_FACTOR = 1e6
# scaled inputs sit within a few units of 0: beyond this a scaler's centre or scale was extreme
USUAL_MAGNITUDE = 1e3


def has_diverged(loss: float, first_loss: float | None) -> bool:
    """True when ``loss`` is NaN/inf or ``DIVERGENCE_FACTOR`` times above ``first_loss``."""
    if not math.isfinite(loss):
        return True
    return first_loss is not None and first_loss > 0 and loss > DIVERGENCE_FACTOR * first_loss


@dataclass
class ColumnStatistics:
    """What one column of a shard folder holds: values, non-finite ones, largest magnitude."""

    column: str
    values: int = 0
    non_finite: int = 0
    largest_magnitude: float = 0.0  # over the finite values

    def problem(self) -> str | None:
        """What looks wrong with this column, in words, or None."""
        if self.non_finite:
            return f"'{self.column}' holds {self.non_finite} NaN/infinite value(s)"
        if self.largest_magnitude > USUAL_MAGNITUDE:
            return (
                f"'{self.column}' reaches |x| = {self.largest_magnitude:.3g} (scaled values "
                f"are usually within {USUAL_MAGNITUDE:g}: was the scaler's centre or scale "
                f"extreme?)"
            )
        return None


def column_statistics(shard_set) -> list[ColumnStatistics]:
    """Per-column counts of non-finite values and the largest finite magnitude over every
    value stored in a shard folder (:class:`ShardSet`), read one item (segment, block of
    windows or labelled case) at a time."""
    m = shard_set.manifest
    if m.layout == "segments":
        names = list(m.columns)
    elif m.layout == "sequences":  # items are (values, label, case): features only
        names = list(m.feature_columns)
    else:
        names = list(dict.fromkeys([*m.feature_columns, *m.target_columns]))
    stats = {name: ColumnStatistics(name) for name in names}
    for item in shard_set.iter_items(range(len(m.shards)), 1):
        if m.layout == "segments":
            _add(stats, m.columns, np.asarray(item[0]))
        elif m.layout == "sequences":
            _add(stats, m.feature_columns, np.asarray(item[0]))
        else:
            _add(stats, m.feature_columns, np.asarray(item[0]))
            _add(stats, m.target_columns, np.asarray(item[1]))
    return list(stats.values())


def _add(stats: dict, columns: list[str], values: np.ndarray) -> None:
    flat = values.reshape(-1, values.shape[-1])
    finite = np.isfinite(flat)
    magnitude = np.where(finite, np.abs(flat), 0).max(axis=0, initial=0.0)
    for i, name in enumerate(columns):
        column = stats[name]
        column.values += len(flat)
        column.non_finite += int((~finite[:, i]).sum())
        column.largest_magnitude = max(column.largest_magnitude, float(magnitude[i]))


def input_findings(shard_set) -> str:
    """One sentence about the train shards' values for a divergence message."""
    problems = [p for s in column_statistics(shard_set) if (p := s.problem())]
    if problems:
        return "The train shards look wrong: " + "; ".join(problems) + "."
    return (
        f"The train shards look sane (every value finite, |x| <= {USUAL_MAGNITUDE:g}): the "
        f"training settings are the likelier cause."
    )


@dataclass
class DivergenceCheck:
    """Raises :class:`TrainingDivergedError` when a loss has diverged, with where it happened,
    what the train shards look like, what to try, and which checkpoint is kept."""

    config: object  # TrainingConfig
    train_set: object  # ShardSet
    store: object  # CheckpointStore

    def check(self, what: str, loss: float, state, learning_rate: float) -> None:
        """Pass (confirming the last checkpoint's weights), or raise after going back to the
        last good checkpoint."""
        if not has_diverged(loss, state.first_batch_loss):
            self.store.confirm_last()
            return
        kept = self.store.keep_last_good(state)
        raise TrainingDivergedError(self._message(what, loss, state, learning_rate, kept))

    def _message(self, what: str, loss: float, state, learning_rate: float, kept: str) -> str:
        c = self.config
        growth = (
            f", {loss / state.first_batch_loss:.3g} times the first micro-batch's loss "
            f"{state.first_batch_loss:.4g}"
            if math.isfinite(loss) and state.first_batch_loss
            else ""
        )
        float16 = "precision mixed_bfloat16 or float32 instead of mixed_float16, "
        return (
            f"The {what} became {loss:.4g}{growth} at epoch {state.epoch + 1}, micro-batch "
            f"{state.batches_done + 1} (optimizer update {state.updates}). "
            f"{input_findings(self.train_set)} Try: a lower training.learning_rate (now "
            f"{learning_rate:g}), gradient clipping with training.clip_norm (now {c.clip_norm}), "
            + (float16 if c.precision == "mixed_float16" else "")
            + f"and check the normalisation and windowing outputs. Checkpoints: {kept}."
        )
