"""Cut a streamed series into contiguous, overlapping segments that hold every window.

Overlapping windows are never stored one by one (window 1440 at stride 1 would multiply the
data 1440 times). A segment is a run of consecutive rows; consecutive segments overlap by
``span - stride`` rows so that every window lies inside exactly one of them. Rows with a
missing value (gaps kept by ingestion) end a run, and so does a jump in time (rows dropped
by ingestion): no window ever covers a gap.

Example:
    >>> stats = SegmentStats()
    >>> for segment in iter_segments(batches, WindowSpec(168, 24), 4096, stats): ...
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from lstm_pipeline.timegrid import TimeGrid
from lstm_pipeline.windows.spec import WindowSpec


@dataclass
class Segment:
    """Consecutive rows holding ``windows`` windows; the first starts at row 0."""

    start_ns: int  # timestamp of row 0
    values: np.ndarray  # (rows, columns) float32
    windows: int


@dataclass
class SegmentStats:
    """What a split held and what was stored of it, counted while it is segmented."""

    rows_in: int = 0
    missing_rows: int = 0  # rows with a missing value: never inside a window
    dropped_rows: int = 0  # complete rows covered by no window (short runs, run tails)
    dropped_partial_windows: int = 0  # stride positions whose window ran past a run's end
    time_jumps: int = 0  # places where a row is not one time step after the row before
    windows: int = 0
    rows_stored: int = 0
    segments: int = 0


def segment_windows_for(spec: WindowSpec, segment_rows: int) -> int:
    """Windows per full segment for a target segment size in rows (at least one)."""
    return max(1, spec.windows_in(max(segment_rows, spec.span)))


def iter_segments(
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
    spec: WindowSpec,
    segment_rows: int,
    stats: SegmentStats,
    grid: TimeGrid | None = None,
) -> Iterator[Segment]:
    """Yield segments from ``batches`` of (timestamps ns, values) in time order; ``stats``
    fill in as the iterator runs. With the series' ``grid``, a jump in time ends a run.

    Memory: one batch plus one segment, whatever the length of the series.
    """
    segmenter = Segmenter(spec, segment_rows, stats, grid)
    for stamps, values in batches:
        if stamps is None:  # a boundary between two series: the run ends
            yield from segmenter.finish()
            segmenter.forget_time()
            continue
        yield from segmenter.feed(stamps, values)
    yield from segmenter.finish()


class Segmenter:
    """Cuts a stream of row batches into segments, one run of complete rows at a time.

    It holds the rows of the current run not yet in a segment (less than one segment), and
    the run's length and windows so far, for the drop counts in ``stats``.
    """

    def __init__(
        self, spec: WindowSpec, segment_rows: int, stats: SegmentStats, grid: TimeGrid | None
    ) -> None:
        self.spec, self.stats, self.grid = spec, stats, grid
        self._last_stamp: int | None = None
        self.per_segment = segment_windows_for(spec, segment_rows)
        self.full_rows = spec.rows_for(self.per_segment)
        self._values: list[np.ndarray] = []
        self._stamps: list[np.ndarray] = []
        self._buffered = 0
        self._run_rows = 0
        self._run_windows = 0

    def feed(self, stamps: np.ndarray, values: np.ndarray) -> Iterator[Segment]:
        """The segments one batch completes. A row with a missing value ends the run (and
        is skipped); a row after a jump in time starts a new one."""
        self.stats.rows_in += len(values)
        missing = np.isnan(values).any(axis=1)
        jumps = self._jumps(stamps)
        self.stats.missing_rows += int(missing.sum())
        self.stats.time_jumps += int(jumps.sum())
        begin = 0
        for cut in [*np.flatnonzero(missing | jumps).tolist(), len(values)]:
            if cut > begin:  # the piece before the cut continues the run
                self._buffer(stamps[begin:cut], values[begin:cut])
            if cut < len(values):
                yield from self._flush(final=True)
            begin = cut + 1 if cut < len(values) and missing[cut] else cut
        yield from self._flush(final=False)

    def _jumps(self, stamps: np.ndarray) -> np.ndarray:
        """True where a row is not one step after the row before (across batches too)."""
        if self.grid is None or not len(stamps):
            return np.zeros(len(stamps), dtype=bool)
        follows = self.grid.follows(stamps, self._last_stamp)
        self._last_stamp = int(stamps[-1])
        return ~follows

    def finish(self) -> Iterator[Segment]:
        """The last segment(s), once the stream (or a series) has ended."""
        yield from self._flush(final=True)

    def forget_time(self) -> None:
        """A new series starts: its first row follows nothing."""
        self._last_stamp = None

    def _buffer(self, stamps: np.ndarray, values: np.ndarray) -> None:
        self._stamps.append(stamps)
        self._values.append(values)
        self._buffered += len(values)
        self._run_rows += len(values)

    def _flush(self, final: bool) -> Iterator[Segment]:
        """Cut the full segments buffered; ``final``: also the tail, and end the run."""
        if self._buffered:
            yield from self._cut(final)
        if final:
            self._end_run()

    def _cut(self, final: bool) -> Iterator[Segment]:
        values, stamps = _joined(self._values), _joined(self._stamps)
        start, stride = 0, self.spec.stride
        while self._buffered - start >= self.full_rows:
            yield self._segment(stamps, values, start, self.per_segment)
            start += self.per_segment * stride
        tail_windows = self.spec.windows_in(self._buffered - start) if final else 0
        if tail_windows:
            yield self._segment(stamps, values, start, tail_windows)
            start += tail_windows * stride
        self._values, self._stamps = [values[start:]], [stamps[start:]]
        self._buffered -= start

    def _segment(self, stamps, values, start: int, windows: int) -> Segment:
        rows = self.spec.rows_for(windows)
        segment = Segment(
            start_ns=int(stamps[start]),
            values=np.ascontiguousarray(values[start : start + rows], dtype=np.float32),
            windows=windows,
        )
        self._run_windows += windows
        self.stats.windows += windows
        self.stats.rows_stored += rows
        self.stats.segments += 1
        return segment

    def _end_run(self) -> None:
        spec, stats = self.spec, self.stats
        stats.dropped_rows += self._run_rows - _covered_rows(spec, self._run_windows)
        stats.dropped_partial_windows += spec.partial_windows_in(self._run_rows)
        self._values, self._stamps, self._buffered = [], [], 0
        self._run_rows = self._run_windows = 0


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _covered_rows(spec: WindowSpec, windows: int) -> int:
    if not windows:
        return 0
    if spec.stride >= spec.span:  # windows do not touch: rows between them are skipped
        return windows * spec.span
    return spec.rows_for(windows)
