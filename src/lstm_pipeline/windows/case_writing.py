"""Write a split of labelled sequences into shard files plus manifest.json, streaming.

One record per case (its values without padding, label, case number and true length);
shards roll over at about ``shard_mb`` uncompressed MB. A split of no case writes a valid
folder holding the manifest alone.

Example:
    >>> job = SequenceJob(source=ParquetSequences(path), features=["dim_0"], fmt="hdf5")
    >>> manifest = job.write(Path("train_shards.tmp"))
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from lstm_pipeline.windows.case_stores import open_case_shard
from lstm_pipeline.windows.manifest import sha256_of, write_manifest
from lstm_pipeline.windows.sequences import Case, ParquetSequences
from lstm_pipeline.windows.stores import shard_name
from lstm_pipeline.windows.writing import ShardJob

logger = logging.getLogger(__name__)


@dataclass
class SequenceJob(ShardJob):
    """Everything needed to write one classification split's shards; run by the catalog
    dataset's save."""

    source: ParquetSequences
    features: list[str]
    fmt: str = "hdf5"
    compression: str = "gzip"
    compression_level: int = 4
    shard_mb: float = 64.0
    metadata: dict = field(default_factory=dict)  # parameters, split name: copied to manifest
    lineage: dict | None = None  # which run made these shards (set by the lineage hook)

    def write(self, folder: Path, fmt: str | None = None) -> dict:
        """Write the shards and ``manifest.json`` into ``folder`` (created), streaming the
        source case by case; ``fmt`` overrides the job's format. Returns the manifest."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = self._manifest_header(fmt or self.fmt)
        started = time.perf_counter()
        name = self.metadata.get("split", folder.name)
        with tqdm(total=self.source.num_rows, desc=f"sharding {name}", unit="rows") as bar:
            writer = CaseShardWriter(folder, manifest, self.shard_mb)
            for case, label, values in _counted(self.source.iter_cases(self.features), bar):
                writer.add(case, label, values)
            shards = writer.finish()
        manifest.update(writer.summary(shards, time.perf_counter() - started))
        write_manifest(folder, manifest)
        logger.info(
            "%s: %d cases (lengths %s..%s) in %d shard(s), %.1f MB on disk",
            name,
            manifest["cases_total"],
            manifest["min_length"],
            manifest["max_length"],
            len(shards),
            manifest["bytes_on_disk"] / 1e6,
        )
        return manifest

    def _manifest_header(self, fmt: str) -> dict:
        """What the manifest says before any shard is written (shards record it too)."""
        return {
            "format": fmt,
            "layout": "sequences",
            "task": "classification",
            "compression": self.compression,
            "compression_level": self.compression_level,
            "dtype": "float32",
            "feature_columns": list(self.features),
            "classes": list(self.source.classes),
            "shapes": {"inputs": [None, len(self.features)]},
            **self.metadata,
            "lineage": self.lineage,
        }


def _counted(cases: Iterable[Case], bar) -> Iterable[Case]:
    for case in cases:
        bar.update(len(case[2]))
        yield case


class CaseShardWriter:
    """Writes cases into one shard after another, each about ``shard_mb`` uncompressed."""

    def __init__(self, folder: Path, manifest: dict, shard_mb: float) -> None:
        self._folder, self._manifest = folder, manifest
        self._limit = shard_mb * 2**20
        self.shards: list[dict] = []
        self._writer, self._path, self._written = None, None, 0
        self._lengths: list[int] = []

    def add(self, case: int, label: int, values: np.ndarray) -> None:
        """Write one case, then roll over to a new shard once this one holds ``shard_mb``."""
        if self._writer is None:
            m = self._manifest
            self._path = self._folder / shard_name(len(self.shards), m["format"], m["compression"])
            self._writer, self._written = open_case_shard(self._path, m), 0
        self._writer.add_case(case, label, values)
        self._written += values.nbytes
        self._lengths.append(len(values))
        if self._written >= self._limit:
            self._close()

    def finish(self) -> list[dict]:
        """Close the last shard; returns the shard entries of the manifest."""
        if self._writer is not None:
            self._close()
        return self.shards

    def _close(self) -> None:
        info = self._writer.close()
        path = self._path
        entry = {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}
        self.shards.append({**entry, **info})
        self._writer = None

    def summary(self, shards: list[dict], seconds: float) -> dict:
        """The manifest's account of what was written."""
        lengths = np.asarray(self._lengths, dtype=np.int64)
        rows = int(lengths.sum())
        return {
            "shards": shards,
            "cases_total": len(lengths),
            "cases_per_shard": [s["cases"] for s in shards],
            "min_length": int(lengths.min()) if len(lengths) else None,
            "max_length": int(lengths.max()) if len(lengths) else None,
            "rows_total": rows,
            "array_bytes": rows * len(self._manifest["feature_columns"]) * 4,
            "bytes_on_disk": sum(s["bytes"] for s in shards),
            "seconds": round(seconds, 3),
        }
