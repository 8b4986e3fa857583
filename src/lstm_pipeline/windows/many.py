"""A split of many series, windowed one series at a time so that no window ever spans two.

A many-series split file holds its series one after another (``attrs["series"]``:
``[[name, rows], ...]``). :class:`ManySeries` reads them series by series, each after its own
rows in the earlier splits when asked (split context), and yields :data:`BOUNDARY` between
two series: the segmenter and the run scanner end a run there, whatever the timestamps say.

    >>> test = ManySeries(ParquetSeries("test_series.parquet"),
    ...                   earlier=[train, val], context_rows=24)
    >>> for stamps, values in test.batches(["price"]): ...   # (None, None): a new series
"""

from collections.abc import Iterator, Sequence

import numpy as np

from lstm_pipeline.windows.context import WithContext
from lstm_pipeline.windows.writing import SeriesSource

BOUNDARY = (None, None)


def series_blocks(source) -> list[tuple[str, int, int]]:
    """(name, first row, rows) of each series of a split file; [] for one series."""
    blocks, start = [], 0
    for name, rows in getattr(source, "series", None) or []:
        blocks.append((name, start, int(rows)))
        start += int(rows)
    return blocks


class RowSlice(SeriesSource):
    """Rows ``start`` .. ``start + rows - 1`` of ``source`` (read in its batches)."""

    def __init__(self, source, start: int, rows: int) -> None:
        self.source, self.start, self.num_rows = source, start, rows
        self.columns, self.grid = source.columns, source.grid
        self.path, self.name = source.path, source.name

    def batches(self, columns: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        first, stop = 0, self.start + self.num_rows
        for stamps, values in self.source.batches(columns):
            last = first + len(values)
            low, high = max(self.start, first) - first, min(stop, last) - first
            if high > low:
                yield stamps[low:high], values[low:high]
            if last >= stop:
                return
            first = last


class ManySeries(SeriesSource):
    """The series of ``split`` one after another, :data:`BOUNDARY` between two; each after
    its last ``context_rows`` rows in the ``earlier`` splits (0: none)."""

    def __init__(self, split, earlier: Sequence = (), context_rows: int = 0) -> None:
        self.split, self.columns, self.grid = split, split.columns, split.grid
        self.series_input = getattr(split, "series_input", None)
        self.series_count = getattr(split, "series_count", 0)
        self.path, self.name = split.path, split.name
        self.names = [name for name, _, _ in series_blocks(split)]
        self.parts = [self._part(name, earlier, context_rows) for name in self.names]
        self.num_rows = sum(part.num_rows for part in self.parts)
        self.context_rows = sum(getattr(part, "context_rows", 0) for part in self.parts)

    @property
    def lineage(self) -> dict | None:
        return self.split.lineage

    def _part(self, name: str, earlier: Sequence, context_rows: int):
        own = slice_of(self.split, name)
        if not context_rows:
            return own
        before = [slice_of(s, name) for s in earlier if s.num_rows]
        return WithContext(own, [b for b in before if b is not None], context_rows)

    def batches(self, columns: Sequence[str]) -> Iterator:
        for number, part in enumerate(self.parts):
            if number:
                yield BOUNDARY
            yield from part.batches(columns)


def slice_of(split, name: str) -> RowSlice | None:
    """The rows of series ``name`` in ``split``; None where the split has none."""
    for block_name, start, rows in series_blocks(split):
        if block_name == name:
            return RowSlice(split, start, rows)
    return None
