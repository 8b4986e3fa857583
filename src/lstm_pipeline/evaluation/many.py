"""Evaluation of many series: which series each test window belongs to, each series'
history and train statistics, and blocks of windows cut where the series changes.

The windowing stage writes a many-series split series by series and counts the windows of
each (``series_windows`` in the manifest), so window i of the reading order belongs to the
series whose count covers i. Every forecast is brought back to original units with its own
series' scaler, and seasonal naive reads back through its own series only.

    >>> names = window_series(shards)               # None for one series
    >>> for start, stop, name in runs_of(names, first=0, count=512): ...
"""

from collections.abc import Iterator, Sequence

import numpy as np

from lstm_pipeline.evaluation.history import TargetHistory
from lstm_pipeline.windows.many import series_blocks, slice_of


def window_series(shards) -> np.ndarray | None:
    """The series name of every window in reading order; None for a one-series split."""
    counts = getattr(shards.manifest, "series_windows", None)
    if not counts:
        return None
    return np.repeat(np.array([name for name, _ in counts], dtype=object), [n for _, n in counts])


def runs_of(names: np.ndarray | None, first: int, count: int) -> Iterator[tuple[int, int, str]]:
    """(start, stop, series) of the runs of one series among windows first .. first+count-1,
    positions relative to ``first``; one run named None for one series."""
    if names is None:
        yield 0, count, None
        return
    block = names[first : first + count]
    cuts = [0, *(np.flatnonzero(block[1:] != block[:-1]) + 1).tolist(), len(block)]
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        yield start, stop, block[start]


def histories(splits: Sequence, targets: Sequence[str]) -> dict:
    """A :class:`TargetHistory` per series (key None for one series)."""
    names = [name for name, _, _ in series_blocks(splits[0])]
    if not names:
        return {None: TargetHistory(splits, targets)}
    own = {name: [slice_of(split, name) for split in splits] for name in names}
    return {name: TargetHistory([s for s in parts if s], targets) for name, parts in own.items()}


def train_parts(train, names: Sequence[str | None]) -> dict:
    """The train split of each series (the whole split for one series)."""
    return {name: train if name is None else slice_of(train, name) for name in names}
