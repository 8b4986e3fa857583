"""The no-window check: windows counted per run of complete rows, streaming, against an oracle."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.windows.fitting import scan_runs
from lstm_pipeline.windows.segmenting import SegmentStats, iter_segments
from lstm_pipeline.windows.spec import WindowSpec

HOUR = 3600 * 10**9


def oracle_runs(complete) -> list[tuple[int, int]]:
    """(first row, length) of every run of complete rows, one row at a time."""
    runs, start = [], None
    for row, ok in enumerate(complete):
        if ok and start is None:
            start = row
        elif not ok and start is not None:
            runs.append((start, row - start))
            start = None
    if start is not None:
        runs.append((start, len(complete) - start))
    return runs


def gappy_batches(seed: int, rows: int = 3000):
    """Random gaps in random columns, cut into batches at random rows (one batch empty)."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, 2)).astype(np.float32)
    missing = np.flatnonzero(rng.random(rows) < rng.choice([0.005, 0.03, 0.2]))
    values[missing, rng.integers(0, 2, len(missing))] = np.nan
    stamps = np.arange(rows, dtype=np.int64) * HOUR
    cuts = sorted(rng.choice(np.arange(1, rows), size=12, replace=False).tolist())
    bounds = list(zip([0, *cuts, rows], [*cuts, rows, rows], strict=True))
    return values, [(stamps[a:b], values[a:b]) for a, b in bounds]


@pytest.mark.parametrize("seed", range(6))
def test_windows_and_longest_runs_match_an_oracle_across_batch_boundaries(seed):
    spec = WindowSpec(20, 5, offset=1, stride=3)
    values, batches = gappy_batches(seed)
    scanner = scan_runs(batches, spec)
    runs = oracle_runs(~np.isnan(values).any(axis=1))
    windows = sum(len(range(0, length - spec.span + 1, spec.stride)) for _, length in runs)
    assert scanner.windows == windows
    longest = sorted(runs, key=lambda run: (-run[1], run[0]))[:3]
    assert [(r.start_ns // HOUR, r.rows) for r in scanner.longest] == longest
    assert all(r.end_ns == r.start_ns + (r.rows - 1) * HOUR for r in scanner.longest)
    # the writer makes exactly as many windows of the same batches
    stats = SegmentStats()
    for _ in iter_segments(iter(batches), spec, 64, stats):
        pass
    assert stats.windows == windows


def test_rows_all_missing_leave_no_run():
    values = np.full((50, 2), np.nan, np.float32)
    scanner = scan_runs([(np.arange(50, dtype=np.int64), values)], WindowSpec(4, 1))
    assert scanner.windows == 0 and scanner.longest == []


def oracle_runs_in_time(stamps, complete, step) -> list[tuple[int, int]]:
    """Runs of complete rows each one ``step`` after the row before, one row at a time."""
    runs, start = [], None
    for row, ok in enumerate(complete):
        joined = row > 0 and stamps[row] - stamps[row - 1] == step and complete[row - 1]
        if start is not None and not (ok and joined):
            runs.append((start, row - start))
            start = None
        if ok and start is None:
            start = row
    if start is not None:
        runs.append((start, len(complete) - start))
    return runs


@pytest.mark.parametrize("seed", range(4))
def test_windows_never_span_rows_dropped_by_ingestion(seed):
    """long_gaps: drop removes rows: a jump in time ends a run as a missing row does."""
    from lstm_pipeline.timegrid import TimeGrid

    spec = WindowSpec(20, 5, offset=1, stride=3)
    values, batches = gappy_batches(seed)
    keep = np.random.default_rng(seed).random(len(values)) > 0.01  # about 30 rows dropped
    stamps = np.concatenate([s for s, _ in batches])[keep]
    values = values[keep]
    bounds = np.linspace(0, len(values), 9).astype(int)
    kept = [(stamps[a:b], values[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    runs = oracle_runs_in_time(stamps, ~np.isnan(values).any(axis=1), HOUR)
    windows = sum(len(range(0, length - spec.span + 1, spec.stride)) for _, length in runs)
    stats = SegmentStats()
    segments = list(iter_segments(iter(kept), spec, 64, stats, TimeGrid("h")))
    assert stats.windows == windows and stats.time_jumps == (np.diff(stamps) != HOUR).sum()
    assert scan_runs(iter(kept), spec, TimeGrid("h")).windows == windows  # the check agrees
    starts = {int(stamps[start]): length for start, length in runs}
    for segment in segments:  # each segment lies in one run
        run_start = max(s for s in starts if s <= segment.start_ns)
        end = segment.start_ns + (len(segment.values) - 1) * HOUR
        assert end <= run_start + (starts[run_start] - 1) * HOUR


def test_a_missing_month_splits_monthly_windows():
    from lstm_pipeline.timegrid import TimeGrid

    months = pd.date_range("1949-01-01", periods=30, freq="MS").delete(12)
    stamps = months.as_unit("ns").asi8
    values = np.arange(len(stamps), dtype=np.float32)[:, None]
    stats = SegmentStats()
    spec = WindowSpec(6, 2)
    segments = list(iter_segments([(stamps, values)], spec, 64, stats, TimeGrid("MS")))
    assert stats.windows == (12 - 8 + 1) + (17 - 8 + 1) and stats.time_jumps == 1
    assert [pd.Timestamp(s.start_ns) for s in segments] == [months[0], months[12]]
