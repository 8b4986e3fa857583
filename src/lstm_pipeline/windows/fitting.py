"""Does a split hold at least one window? Answered streaming, before anything is written.

A window needs ``span`` consecutive rows with no missing value (a run of complete rows), so
a split with enough rows can still hold none when gaps are everywhere. The scan counts the
windows the writer would write (``windows_in`` of every run) and keeps the longest few runs
to show when there are none.

Example:
    >>> count = require_windows(series, ["load", "temp"], WindowSpec(168, 24), "train split")
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstm_pipeline.errors import ColumnNotFoundError, WindowingError
from lstm_pipeline.windows.spec import WindowSpec

LONGEST_SHOWN = 3


@dataclass(frozen=True)
class Run:
    """Consecutive rows with no missing value."""

    start_ns: int  # timestamp of the first row
    end_ns: int  # timestamp of the last row
    rows: int

    def __str__(self) -> str:
        return f"{pd.Timestamp(self.start_ns)} .. {pd.Timestamp(self.end_ns)} ({self.rows} rows)"


class RunScanner:
    """Streams (timestamps ns, values) batches; counts the windows of every run of complete
    rows and keeps the ``keep`` longest runs. Memory: one batch."""

    def __init__(self, spec: WindowSpec, keep: int = LONGEST_SHOWN) -> None:
        self.spec, self.keep = spec, keep
        self.windows = 0
        self.longest: list[Run] = []
        self._open: Run | None = None  # the run reaching the end of the last batch

    def feed(self, stamps: np.ndarray, values: np.ndarray) -> None:
        """Account for one batch of rows (in time order)."""
        if not len(values):
            return
        complete = ~np.isnan(values).any(axis=1)
        edges = np.flatnonzero(np.diff(np.concatenate(([False], complete, [False]))))
        starts, ends = edges[0::2], edges[1::2]  # run i: rows starts[i] .. ends[i]-1
        rows, first_ns, last_ns = ends - starts, stamps[starts], stamps[ends - 1]
        if self._open is not None:
            if len(starts) and starts[0] == 0:  # the open run goes on into this batch
                rows[0] += self._open.rows
                first_ns[0] = self._open.start_ns
            else:
                self._close(np.array([self._open.rows]), [self._open.start_ns], [self._open.end_ns])
            self._open = None
        if len(ends) and ends[-1] == len(values):  # the last run may go on in the next batch
            self._open = Run(int(first_ns[-1]), int(last_ns[-1]), int(rows[-1]))
            rows, first_ns, last_ns = rows[:-1], first_ns[:-1], last_ns[:-1]
        self._close(rows, first_ns, last_ns)

    def finish(self) -> None:
        """Close the run still open at the end of the stream."""
        if self._open is not None:
            run, self._open = self._open, None
            self._close(np.array([run.rows]), [run.start_ns], [run.end_ns])

    def _close(self, rows: np.ndarray, first_ns: Sequence[int], last_ns: Sequence[int]) -> None:
        if not len(rows):
            return
        spec = self.spec
        self.windows += int(np.maximum(0, (rows - spec.span) // spec.stride + 1).sum())
        top = np.lexsort((np.asarray(first_ns), -rows))[: self.keep]  # longest, then earliest
        runs = [Run(int(first_ns[i]), int(last_ns[i]), int(rows[i])) for i in top]
        self.longest = sorted([*self.longest, *runs], key=lambda r: (-r.rows, r.start_ns))
        del self.longest[self.keep :]


def scan_runs(
    batches: Iterable[tuple[np.ndarray, np.ndarray]], spec: WindowSpec, grid=None
) -> RunScanner:
    """A finished :class:`RunScanner` over ``batches``: ``windows`` holds exactly the number
    of windows the writer makes of them, ``longest`` the longest runs of complete rows. With
    the series' ``grid``, a jump in time ends a run, as it does for the writer."""
    scanner, last = RunScanner(spec), None
    for stamps, values in batches:
        if stamps is None:  # a boundary between two series
            scanner.finish()
            last = None
            continue
        jumps = np.flatnonzero(~grid.follows(stamps, last)) if grid is not None else []
        last = int(stamps[-1]) if len(stamps) else last
        bounds = [0, *jumps, len(values)]
        for piece, (begin, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            if piece:  # rows from a jump on start a new run
                scanner.finish()
            scanner.feed(stamps[begin:end], values[begin:end])
    scanner.finish()
    return scanner


def require_columns(source, knob: str, names: Sequence[str], where: str) -> None:
    """Raise :class:`ColumnNotFoundError` naming the parameter ``knob``, the ``names`` that
    ``source`` (at ``where``) lacks and the columns it has."""
    absent = [c for c in names if c not in source.columns]
    if absent:
        raise ColumnNotFoundError(
            f"'{knob}' names {absent}, which {where} does not have; its columns are "
            f"{source.columns}."
        )


def require_rows(source, spec: WindowSpec, where: str) -> None:
    """Raise :class:`WindowingError` when one window spans more rows than ``source`` has."""
    if spec.span > source.num_rows:
        raise WindowingError(
            f"A window spans input_length {spec.input_length} + offset {spec.offset} + "
            f"horizon {spec.horizon} = {spec.span} rows, more than the {source.num_rows} "
            f"rows of {where}. Lower 'windowing.input_length' or 'windowing.horizon', or give "
            f"this split more rows."
        )


def require_windows(source, columns: list[str], spec: WindowSpec, where: str) -> int:
    """The number of windows ``source`` (a :class:`~lstm_pipeline.windows.writing.
    SeriesSource`) holds over ``columns``, streaming over its row batches.

    Raises :class:`WindowingError` naming ``where``, the longest runs of rows without a
    missing value and the window span when it holds none."""
    scanner = scan_runs(source.batches(columns), spec, getattr(source, "grid", None))
    if scanner.windows:
        return scanner.windows
    if scanner.longest:
        stretches = "; ".join(str(run) for run in scanner.longest)
        found = f"its longest stretches of rows with no missing value are: {stretches}"
    else:
        found = "every one of its rows has a missing value"
    raise WindowingError(
        f"{where} has {source.num_rows} rows but not one complete window: a window needs "
        f"{spec.span} consecutive rows with no missing value in {columns} (input_length "
        f"{spec.input_length} + offset {spec.offset} + horizon {spec.horizon}), and {found}. "
        f"Lower 'windowing.input_length' or 'windowing.horizon', or fill the gaps at "
        f"ingestion ('ingestion.missing')."
    )
