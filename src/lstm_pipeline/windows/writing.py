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
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from lstm_pipeline.windows.cutting import SegmentWindows
from lstm_pipeline.windows.manifest import sha256_of, write_manifest
from lstm_pipeline.windows.segmenting import SegmentStats, iter_segments
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.stores import open_shard, shard_name

logger = logging.getLogger(__name__)

WINDOW_BLOCK = 2048  # windows cut and written at a time in the windows layout


class SeriesSource:
    """What the writer reads: time-ordered batches of (timestamps ns, float32 values)."""

    columns: list[str]
    num_rows: int
    step_ns: int

    def batches(self, columns: Sequence[str]) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        raise NotImplementedError


@dataclass
class WindowingJob:
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

    @property
    def columns(self) -> list[str]:
        """Stored column order: features first, then targets that are not features."""
        return [*self.features, *[t for t in self.targets if t not in self.features]]

    def write(self, folder: Path, fmt: str | None = None) -> dict:
        folder.mkdir(parents=True, exist_ok=True)
        fmt = fmt or self.fmt
        columns = self.columns
        manifest = {
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
            "input_length": self.spec.input_length,
            "horizon": self.spec.horizon,
            "offset": self.spec.offset,
            "stride": self.spec.stride,
            "step_ns": self.source.step_ns,
            "shapes": {
                "inputs": [self.spec.input_length, len(self.features)],
                "targets": [self.spec.horizon, len(self.targets)],
            },
            **self.metadata,
            "lineage": self.lineage,
        }
        started = time.perf_counter()
        stats = SegmentStats()
        segment_rows = self.segment_rows or default_segment_rows(self.spec)
        progress = tqdm(
            total=self.source.num_rows,
            desc=f"windowing {self.metadata.get('split', folder.name)}",
            unit="rows",
            disable=None,
        )
        batches = _counted(self.source.batches(columns), progress)
        segments = iter_segments(batches, self.spec, segment_rows, stats)
        shards, table = _write_shards(segments, folder, manifest, self.shard_mb)
        progress.close()
        elapsed = time.perf_counter() - started
        array_bytes = stats.rows_in * len(columns) * 4
        stored = sum(s["rows"] for s in shards) * (len(columns) if self.layout == "segments" else 1)
        manifest.update(
            {
                "shards": shards,
                "segments": table,
                "windows_total": stats.windows,
                "windows_per_shard": [s["windows"] for s in shards],
                "rows_in_split": stats.rows_in,
                "missing_rows_skipped": stats.missing_rows,
                "dropped_rows": stats.dropped_rows,
                "dropped_partial_windows": stats.dropped_partial_windows,
                "segment_rows": segment_rows,
                "array_bytes": array_bytes,
                "bytes_on_disk": sum(s["bytes"] for s in shards),
                "values_stored": stored,
                "seconds": round(elapsed, 3),
            }
        )
        write_manifest(folder, manifest)
        logger.info(
            "%s: %d windows in %d shard(s), %.1f MB on disk for %.1f MB of array, %.0f windows/s",
            self.metadata.get("split", folder.name),
            stats.windows,
            len(shards),
            manifest["bytes_on_disk"] / 1e6,
            array_bytes / 1e6,
            stats.windows / max(elapsed, 1e-9),
        )
        return manifest


def default_segment_rows(spec: WindowSpec) -> int:
    """Segments 16 spans long keep the overlap at stride 1 under 1/16 of the data."""
    return max(16 * spec.span, 16_384)


def _counted(batches, progress) -> Iterator:
    for stamps, values in batches:
        progress.update(len(values))
        yield stamps, values


def _write_shards(segments, folder: Path, manifest: dict, shard_mb: float):
    limit = shard_mb * 2**20
    shards: list[dict] = []
    table: list[list[int]] = []
    writer, path, written = None, None, 0
    spec = WindowSpec(
        manifest["input_length"], manifest["horizon"], manifest["offset"], manifest["stride"]
    )

    def close():
        info = writer.close()
        shards.append(
            {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path), **info}
        )

    for segment in segments:
        if writer is None:
            path = folder / shard_name(len(shards), manifest["format"], manifest["compression"])
            writer, written = open_shard(path, manifest), 0
        if manifest["layout"] == "segments":
            writer.add(segment)
            table.append([len(shards), segment.start_ns, len(segment.values), segment.windows])
            written += segment.values.nbytes
        else:
            windows = SegmentWindows(
                segment.values,
                segment.windows,
                spec,
                manifest["feature_index"],
                manifest["target_index"],
            )
            for begin in range(0, segment.windows, WINDOW_BLOCK):
                numbers = np.arange(begin, min(begin + WINDOW_BLOCK, segment.windows))
                inputs, targets = windows.take(numbers)
                starts = segment.start_ns + numbers * spec.stride * manifest["step_ns"]
                writer.add_windows(inputs, targets, starts)
                written += inputs.nbytes + targets.nbytes
        if written >= limit:
            close()
            writer = None
    if writer is not None:
        close()
    return shards, table
