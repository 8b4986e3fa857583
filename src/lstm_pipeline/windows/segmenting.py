"""Cut a streamed series into contiguous, overlapping segments that hold every window.

Overlapping windows are never stored one by one (window 1440 at stride 1 would multiply the
data 1440 times). A segment is a run of consecutive rows; consecutive segments overlap by
``span - stride`` rows so that every window lies inside exactly one of them. Rows with a
missing value (gaps kept by ingestion) end a run: no window ever covers one.

Example:
    >>> segments, stats = iter_segments(batches, WindowSpec(168, 24), segment_rows=4096)
    >>> for segment in segments: ...   # stats fill in as the iterator runs
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from lstm_pipeline.windows.spec import WindowSpec


@dataclass
class Segment:
    """Consecutive rows holding ``windows`` windows; the first starts at row 0."""

    start_ns: int  # timestamp of row 0
    values: np.ndarray  # (rows, columns) float32
    windows: int


@dataclass
class SegmentStats:
    rows_in: int = 0
    missing_rows: int = 0  # rows with a missing value: never inside a window
    dropped_rows: int = 0  # complete rows covered by no window (short runs, run tails)
    dropped_partial_windows: int = 0  # stride positions whose window ran past a run's end
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
) -> Iterator[Segment]:
    """Yield segments from ``batches`` of (timestamps ns, values) in time order.

    Memory: one batch plus one segment, whatever the length of the series.
    """
    per_segment = segment_windows_for(spec, segment_rows)
    full_rows = spec.rows_for(per_segment)
    buffer_values: list[np.ndarray] = []
    buffer_stamps: list[np.ndarray] = []
    buffered = 0

    run_rows = 0  # rows of the current run of complete rows, for the drop counts
    run_windows = 0

    def flush(final: bool) -> Iterator[Segment]:
        nonlocal buffer_values, buffer_stamps, buffered, run_rows, run_windows
        if buffered:
            values = np.concatenate(buffer_values) if len(buffer_values) > 1 else buffer_values[0]
            stamps = np.concatenate(buffer_stamps) if len(buffer_stamps) > 1 else buffer_stamps[0]
            start = 0
            while buffered - start >= full_rows:
                yield _segment(stamps, values, start, per_segment, spec, stats)
                run_windows += per_segment
                start += per_segment * spec.stride
            if final and spec.windows_in(buffered - start):
                windows = spec.windows_in(buffered - start)
                yield _segment(stamps, values, start, windows, spec, stats)
                run_windows += windows
                start += windows * spec.stride
            buffer_values, buffer_stamps = [values[start:]], [stamps[start:]]
            buffered -= start
        if final:
            stats.dropped_rows += run_rows - _covered_rows(spec, run_windows)
            stats.dropped_partial_windows += spec.partial_windows_in(run_rows)
            buffer_values, buffer_stamps, buffered, run_rows, run_windows = [], [], 0, 0, 0

    for stamps, values in batches:
        stats.rows_in += len(values)
        missing = np.isnan(values).any(axis=1)
        # split the batch at missing rows: each piece continues or closes the current run
        cuts = np.flatnonzero(missing)
        stats.missing_rows += len(cuts)
        begin = 0
        for cut in [*cuts.tolist(), len(values)]:
            if cut > begin:
                buffer_values.append(values[begin:cut])
                buffer_stamps.append(stamps[begin:cut])
                buffered += cut - begin
                run_rows += cut - begin
            if cut < len(values):  # a missing row ends the run
                yield from flush(final=True)
            begin = cut + 1
        yield from flush(final=False)
    yield from flush(final=True)


def _segment(stamps, values, start, windows, spec, stats) -> Segment:
    rows = spec.rows_for(windows)
    segment = Segment(
        start_ns=int(stamps[start]),
        values=np.ascontiguousarray(values[start : start + rows], dtype=np.float32),
        windows=windows,
    )
    stats.windows += windows
    stats.rows_stored += rows
    stats.segments += 1
    return segment


def _covered_rows(spec: WindowSpec, windows: int) -> int:
    if not windows:
        return 0
    if spec.stride >= spec.span:  # windows do not touch: rows between them are skipped
        return windows * spec.span
    return spec.rows_for(windows)
