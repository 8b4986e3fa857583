"""A split read after the last rows of the splits before it, so that its first windows take
their inputs from before its boundary and the first target is the split's first row.

Without it, a split of R rows loses its first ``input_length + offset`` steps as targets:
no forecast is ever scored for the first day (or week) of the test period. The rows added
are already scaled by the train-fitted scaler (they are the earlier splits' own rows), so
the scaler still sees train rows only.

Example:
    >>> test = WithContext(ParquetSeries("test_series.parquet"),
    ...                    [ParquetSeries("train_series.parquet"),
    ...                     ParquetSeries("val_series.parquet")], rows=168)
"""

import logging
from collections.abc import Iterator, Sequence

import numpy as np

from lstm_pipeline.windows.writing import SeriesSource

logger = logging.getLogger(__name__)


class WithContext(SeriesSource):
    """``split`` preceded by the last ``rows`` rows of ``earlier`` (the splits before it, in
    time order; fewer where they hold fewer, none where they do not end one step before the
    split begins). Memory: the context rows and one batch."""

    def __init__(self, split, earlier: Sequence, rows: int) -> None:
        self.split = split
        self.columns, self.grid = split.columns, split.grid
        self.path, self.name = split.path, split.name
        self._stamps, self._values = _tail([s for s in earlier if s.num_rows], split.columns, rows)
        if len(self._stamps) and not self._ends_just_before(split):
            logger.warning("%s does not follow the split before it: no context", split.name)
            self._stamps, self._values = self._stamps[:0], self._values[:0]
        self.context_rows = len(self._stamps)
        self.num_rows = split.num_rows + self.context_rows

    @property
    def lineage(self) -> dict | None:
        return self.split.lineage

    def batches(self, columns: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The context rows as one batch, then the split's own batches."""
        if self.context_rows:
            picked = [self.columns.index(c) for c in columns]
            yield self._stamps, self._values[:, picked]
        yield from self.split.batches(columns)

    def _ends_just_before(self, split) -> bool:
        first_stamps, _ = next(iter(split.batches(split.columns[:1])))
        if split.grid is None:  # a one-row file that recorded no frequency
            return False
        return bool(split.grid.follows(first_stamps[:1], int(self._stamps[-1]))[0])


def _tail(sources: Sequence, columns: Sequence[str], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``rows`` rows of ``sources`` read one after the other."""
    stamps = np.empty(0, np.int64)
    values = np.empty((0, len(columns)), np.float32)
    for source in sources:
        for batch_stamps, batch_values in source.batches(columns):
            stamps = np.concatenate([stamps, batch_stamps])[-rows:]
            values = np.concatenate([values, batch_values])[-rows:]
    return stamps, values
