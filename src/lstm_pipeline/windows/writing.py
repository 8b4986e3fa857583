"""Write a split's windows into shard files plus manifest.json, streaming.

Example:
    >>> job = WindowingJob(source=series, spec=WindowSpec(168, 24), features=[...],
    ...                    targets=["load"], fmt="hdf5", layout="segments")
    >>> manifest = job.write(Path("train_shards.tmp"))
"""

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from lstm_pipeline.errors import WindowingError
from lstm_pipeline.parallel.engine import Mapper, serial_map
from lstm_pipeline.timegrid import TimeGrid
from lstm_pipeline.windows.cutting import SegmentWindows
from lstm_pipeline.windows.fitting import require_windows
from lstm_pipeline.windows.manifest import sha256_of, write_manifest
from lstm_pipeline.windows.segmenting import Segment, SegmentStats, iter_segments
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.stores import open_shard, shard_name

logger = logging.getLogger(__name__)

WINDOW_BLOCK = 2048  # windows cut and written at a time in the windows layout


class SeriesSource:
    """What the writer reads: time-ordered batches of (timestamps ns, float32 values)."""

    columns: list[str]
    num_rows: int
    grid: TimeGrid | None  # the time step (None: under two rows and none recorded)

    def batches(self, columns: Sequence[str]) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        """(timestamps ns, float32 values in ``columns`` order) per batch, in time order."""
        raise NotImplementedError


class ShardJob:
    """What a shard folder dataset saves: writes one split's shards and ``manifest.json``
    into a folder (see :class:`WindowingJob`, and ``SequenceJob`` for labelled sequences).
    ``lineage`` is set by the lineage hook."""

    lineage: dict | None = None

    def write(self, folder: Path, fmt: str | None = None) -> dict:
        """Write the shards and ``manifest.json`` into ``folder``; returns the manifest."""
        raise NotImplementedError


def stored_columns(features: Sequence[str], targets: Sequence[str], *more: str) -> list[str]:
    """The stored column order: features first, then the targets and any ``more`` columns
    (side inputs) that are not among them, each once."""
    columns = list(features)
    for column in [*targets, *more]:
        if column not in columns:
            columns.append(column)
    return columns


@dataclass
class WindowingJob(ShardJob):
    """Everything needed to write one split's shards; run by the catalog dataset's save."""

    source: SeriesSource
    spec: WindowSpec
    features: list[str]
    targets: list[str]
    fmt: str = "hdf5"
    layout: str = "segments"
    compression: str = "gzip"
    compression_level: int = 4
    shard_mb: float = 64.0
    segment_rows: int | None = None
    metadata: dict = field(default_factory=dict)  # parameters, split name: copied to manifest
    lineage: dict | None = None  # which run made these shards (set by the lineage hook)
    allow_empty: bool = False  # a validation split turned off: a folder with no window
    future: list[str] = field(default_factory=list)  # columns known over the horizon
    series_code: str | None = None  # the series code column, stored for an embedding
    series_count: int = 0  # the embedding's vocabulary: every series of the run
    map_items: Mapper = field(default=serial_map, repr=False, compare=False)  # who writes
    # the shards: this process, or Dask workers (engine.name: dask)

    @property
    def columns(self) -> list[str]:
        """Stored column order: features first, then targets and side inputs not among them."""
        side = [*self.future, *([self.series_code] if self.series_code else [])]
        return stored_columns(self.features, self.targets, *side)

    def write(self, folder: Path, fmt: str | None = None) -> dict:
        """Write the shards and ``manifest.json`` into ``folder`` (created), streaming the
        source; ``fmt`` overrides the job's format. Returns the manifest written.

        Raises :class:`WindowingError` when the source holds no window, unless
        ``allow_empty`` (nothing is written then but shard files, which the catalog
        dataset's temporary folder discards)."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = self._manifest_header(fmt or self.fmt)
        started, stats = time.perf_counter(), SegmentStats()
        segment_rows = self.segment_rows or default_segment_rows(self.spec)
        bar = {"desc": f"windowing {self._name(folder)}", "unit": "rows", "disable": None}
        with tqdm(total=self.source.num_rows, **bar) as progress:
            batches = _counted(self.source.batches(manifest["columns"]), progress)
            names, per_series = getattr(self.source, "names", []), []
            batches = _per_series(batches, stats, names, per_series)
            segments = iter_segments(batches, self.spec, segment_rows, stats, self.source.grid)
            shards, table = write_shards(segments, folder, manifest, self.shard_mb, self.map_items)
        if per_series:
            done = sum(n for _, n in per_series[:-1])
            per_series[-1][1] = stats.windows - done
            manifest["series_windows"] = per_series
        if not stats.windows and not self.allow_empty:
            self._refuse_empty()
        summary = _summary(stats, shards, table, manifest, time.perf_counter() - started)
        manifest.update(summary, segment_rows=segment_rows)
        write_manifest(folder, manifest)
        _log_written(self._name(folder), manifest, stats.windows)
        return manifest

    def _manifest_header(self, fmt: str) -> dict:
        """What the manifest says before any shard is written (shards record it too)."""
        columns, spec = self.columns, self.spec
        return {
            "format": fmt,
            "layout": self.layout,
            "compression": self.compression,
            "compression_level": self.compression_level,
            "dtype": "float32",
            "columns": columns,
            "feature_columns": list(self.features),
            "target_columns": list(self.targets),
            "feature_index": [columns.index(c) for c in self.features],
            "target_index": [columns.index(c) for c in self.targets],
            "input_length": spec.input_length,
            "horizon": spec.horizon,
            "offset": spec.offset,
            "stride": spec.stride,
            "frequency": self.source.grid.frequency if self.source.grid else None,
            "shapes": {
                "inputs": [spec.input_length, len(self.features)],
                "targets": [spec.horizon, len(self.targets)],
            },
            "future_columns": list(self.future),
            "future_index": [columns.index(c) for c in self.future],
            "series_index": columns.index(self.series_code) if self.series_code else None,
            "side_inputs": {"future": len(self.future), "series": self.series_count},
            **self.metadata,
            "lineage": self.lineage,
        }

    def _name(self, folder: Path) -> str:
        return self.metadata.get("split", folder.name)

    def _refuse_empty(self) -> None:
        where = f"'{self.metadata.get('source') or getattr(self.source, 'path', self.source)}'"
        require_windows(self.source, self.columns, self.spec, where)  # raises, with details
        raise WindowingError(f"{where} yields no window of {self.spec}.")


def default_segment_rows(spec: WindowSpec) -> int:
    """Segments 16 spans long keep the overlap at stride 1 under 1/16 of the data."""
    return max(16 * spec.span, 16_384)


def _counted(batches, progress) -> Iterator:
    for stamps, values in batches:
        if stamps is not None:  # not a boundary between series
            progress.update(len(values))
        yield stamps, values


def _per_series(batches, stats: SegmentStats, names: list[str], counts: list) -> Iterator:
    """``batches`` unchanged; ``counts`` gets [name, windows] of each series as the
    segmenter finishes it (it has, when the batch after a boundary is asked for)."""
    before = 0
    for stamps, values in batches:
        yield stamps, values
        if stamps is None:
            counts.append([names[len(counts)], stats.windows - before])
            before = stats.windows
    if names:
        counts.append([names[len(counts)], None])  # the last: filled in by write()


def _summary(stats: SegmentStats, shards: list, table: list, manifest: dict, seconds: float):
    """The manifest's account of what was written."""
    columns = len(manifest["columns"])
    stored_rows = sum(s["rows"] for s in shards)
    return {
        "shards": shards,
        "segments": table,
        "windows_total": stats.windows,
        "windows_per_shard": [s["windows"] for s in shards],
        "rows_in_split": stats.rows_in,
        "missing_rows_skipped": stats.missing_rows,
        "dropped_rows": stats.dropped_rows,
        "dropped_partial_windows": stats.dropped_partial_windows,
        "time_jumps": stats.time_jumps,
        "array_bytes": stats.rows_in * columns * 4,
        "bytes_on_disk": sum(s["bytes"] for s in shards),
        "values_stored": stored_rows * (columns if manifest["layout"] == "segments" else 1),
        "seconds": round(seconds, 3),
    }


def _log_written(name: str, manifest: dict, windows: int) -> None:
    logger.info(
        "%s: %d windows in %d shard(s), %.1f MB on disk for %.1f MB of array, %.0f windows/s",
        name,
        windows,
        len(manifest["shards"]),
        manifest["bytes_on_disk"] / 1e6,
        manifest["array_bytes"] / 1e6,
        windows / max(manifest["seconds"], 1e-9),
    )
    short = [series for series, count in manifest.get("series_windows", []) if not count]
    if short:  # shorter than a window here: skipped, and said so
        logger.warning("%s: series %s hold no complete window and are skipped", name, short)


def write_shards(
    segments: Iterable[Segment],
    folder: Path,
    manifest: dict,
    shard_mb: float,
    map_items: Mapper = serial_map,
) -> tuple[list[dict], list[list[int]]]:
    """Write ``segments`` into shard files of about ``shard_mb`` uncompressed MB each, in
    the format and layout of ``manifest``. Returns the shard entries of the manifest (file,
    bytes, SHA-256, counts) and the segments table ([shard, start_ns, rows, windows]).

    With a parallel ``map_items`` (Dask), the same shards are cut here and each is written
    (compressed, hashed) by a worker into ``folder``, which the workers must reach."""
    if map_items is serial_map:
        writer = ShardWriter(folder, manifest, shard_mb)
        for segment in segments:
            writer.add(segment)
        return writer.finish()
    write = partial(write_shard, folder=folder, manifest=manifest)
    written = map_items(write, enumerate(shard_groups(segments, manifest, shard_mb)))
    shards = [entry for entries, _ in written for entry in entries]
    return shards, [row for _, rows in written for row in rows]


def segment_bytes(segment: Segment, manifest: dict) -> int:
    """Uncompressed bytes a segment adds to a shard: its rows (``segments`` layout), or its
    windows' inputs and targets (``windows``)."""
    if manifest["layout"] == "segments":
        return segment.values.nbytes
    inputs = manifest["input_length"] * len(manifest["feature_index"])
    targets = manifest["horizon"] * len(manifest["target_index"])
    return segment.windows * (inputs + targets) * segment.values.itemsize


def shard_groups(segments: Iterable[Segment], manifest: dict, shard_mb: float) -> Iterator:
    """The segments of each shard, as :class:`ShardWriter` fills them: a shard is closed
    once it holds ``shard_mb``."""
    group, written, limit = [], 0, shard_mb * 2**20
    for segment in segments:
        group.append(segment)
        written += segment_bytes(segment, manifest)
        if written >= limit:
            yield group
            group, written = [], 0
    if group:
        yield group


def write_shard(
    numbered: tuple[int, list[Segment]], folder: Path, manifest: dict
) -> tuple[list[dict], list[list[int]]]:
    """Write shard ``number`` of ``segments`` (a task on a Dask worker): its manifest entry
    and its rows of the segments table."""
    number, segments = numbered
    writer = ShardWriter(folder, manifest, float("inf"), first=number)
    for segment in segments:
        writer.add(segment)
    return writer.finish()


class ShardWriter:
    """Writes segments, or the windows cut from them, into one shard after another."""

    def __init__(self, folder: Path, manifest: dict, shard_mb: float, first: int = 0) -> None:
        self._folder, self._manifest, self._first = folder, manifest, first
        self._limit = shard_mb * 2**20
        self._spec = WindowSpec(
            manifest["input_length"], manifest["horizon"], manifest["offset"], manifest["stride"]
        )
        self.shards: list[dict] = []
        self.table: list[list[int]] = []
        self._grid = TimeGrid(manifest["frequency"]) if manifest["frequency"] else None
        self._writer, self._path, self._written = None, None, 0

    def add(self, segment: Segment) -> None:
        """Write one segment (``segments`` layout) or its windows, then roll over to a new
        shard once this one holds ``shard_mb``."""
        if self._writer is None:
            self._open()
        if self._manifest["layout"] == "segments":
            self._writer.add(segment)
            rows = len(segment.values)
            self.table.append([self._number(), segment.start_ns, rows, segment.windows])
        else:
            self._add_windows(segment)
        self._written += segment_bytes(segment, self._manifest)
        if self._written >= self._limit:
            self._close()

    def finish(self) -> tuple[list[dict], list[list[int]]]:
        """Close the last shard; returns the shard entries and the segments table."""
        if self._writer is not None:
            self._close()
        return self.shards, self.table

    def _number(self) -> int:
        """The number of the shard being written (a worker's writer starts at ``first``)."""
        return self._first + len(self.shards)

    def _open(self) -> None:
        m = self._manifest
        self._path = self._folder / shard_name(self._number(), m["format"], m["compression"])
        self._writer, self._written = open_shard(self._path, m), 0

    def _add_windows(self, segment: Segment) -> None:
        m, spec = self._manifest, self._spec
        if m["future_columns"] or m["series_index"] is not None:
            raise WindowingError(
                "layout 'windows' stores inputs and targets only: side inputs (windowing."
                "future_features, normalisation.series_input: embedding) need layout "
                "'segments' (or auto)."
            )
        windows = SegmentWindows(
            segment.values, segment.windows, spec, m["feature_index"], m["target_index"]
        )
        for begin in range(0, segment.windows, WINDOW_BLOCK):
            numbers = np.arange(begin, min(begin + WINDOW_BLOCK, segment.windows))
            inputs, targets = windows.take(numbers)
            starts = self._grid.advance(segment.start_ns, numbers * spec.stride)
            self._writer.add_windows(inputs, targets, starts)

    def _close(self) -> None:
        info = self._writer.close()
        path = self._path
        entry = {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}
        self.shards.append({**entry, **info})
        self._writer = None
