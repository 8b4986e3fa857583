"""manifest.json: everything a reader needs, each shard's size and SHA-256, and the
attributes each shard records about itself so that an edited manifest is caught.

A manifest is checked three ways when a folder is opened: it must parse and agree with itself
(:func:`manifest_problems`), every shard must have the size it lists (and the SHA-256, if
asked), and every shard's own attributes (:func:`shard_attributes`) must equal what the
manifest says of it.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.timegrid import TimeGrid
from lstm_pipeline.windows.choices import Compression, Format, SequenceLayout, WindowLayout

MANIFEST = "manifest.json"
SHARD_ATTRIBUTES_VERSION = 3  # 2: the time step as a pandas frequency; 3: side inputs
# what every shard records of its manifest (plus its own file name and the lineage generation)
SHARD_ATTRIBUTE_KEYS = (
    "layout",
    "columns",
    "feature_columns",
    "target_columns",
    "feature_index",
    "target_index",
    "input_length",
    "horizon",
    "offset",
    "stride",
    "frequency",
    "future_index",
    "series_index",
)
# what every shard of labelled sequences (layout "sequences") records of its manifest
SEQUENCE_ATTRIBUTE_KEYS = ("layout", "task", "feature_columns", "classes")
ATTRIBUTE_KEYS = {
    "segments": SHARD_ATTRIBUTE_KEYS,
    "windows": SHARD_ATTRIBUTE_KEYS,
    "sequences": SEQUENCE_ATTRIBUTE_KEYS,
}


class ShardInfo(BaseModel):
    """One shard file as the manifest lists it."""

    file: str
    bytes: int
    sha256: str
    windows: int
    rows: int
    segments: int


class Manifest(BaseModel):
    """manifest.json: what a reader needs (other keys, e.g. ``parameters`` and ``lineage``,
    are kept as extra fields)."""

    model_config = ConfigDict(extra="allow")

    format: Format
    layout: WindowLayout
    compression: Compression
    dtype: Literal["float32"]
    columns: list[str]
    feature_columns: list[str]
    target_columns: list[str]
    feature_index: list[int]
    target_index: list[int]
    input_length: int
    horizon: int
    offset: int
    stride: int
    frequency: str | None  # the time step, a pandas frequency ('h', 'MS'); None: unknown
    # (a split of under two rows that recorded none: it holds no window)
    windows_total: int
    shapes: dict[str, list[int]]
    shards: list[ShardInfo]
    segments: list[list[int]]  # [shard, start_ns, rows, windows] per segment (segments layout)
    # side inputs (see lstm_pipeline.models.side): columns known over the horizon, and the
    # stored column of the series code when the series is an embedded input
    future_columns: list[str] = []
    future_index: list[int] = []
    series_index: int | None = None
    side_inputs: dict[str, int] = {}

    @property
    def grid(self) -> TimeGrid:
        return TimeGrid(self.frequency)


class CaseShardInfo(BaseModel):
    """One shard file of labelled sequences as the manifest lists it."""

    file: str
    bytes: int
    sha256: str
    cases: int
    rows: int  # time steps of all its cases together


class SequenceManifest(BaseModel):
    """manifest.json of labelled sequences (layout ``sequences``): one record per case, its
    values unpadded, its label, case number and true length."""

    model_config = ConfigDict(extra="allow")

    format: Format
    layout: SequenceLayout
    task: Literal["classification"]
    compression: Compression
    dtype: Literal["float32"]
    feature_columns: list[str]
    classes: list[str]
    cases_total: int
    min_length: int | None  # None: no case
    max_length: int | None
    shapes: dict[str, list[int | None]]
    shards: list[CaseShardInfo]


AnyManifest = Annotated[Manifest | SequenceManifest, Field(discriminator="layout")]
_ANY_MANIFEST = TypeAdapter(AnyManifest)


def parse_manifest(data: dict) -> Manifest | SequenceManifest:
    """The manifest model its ``layout`` names; raises pydantic's ValidationError."""
    return _ANY_MANIFEST.validate_python(data)


def shard_attributes(manifest: dict, file: str) -> dict:
    """What the shard named ``file`` records about itself, from its ``manifest`` (a dict):
    the window arithmetic (or the classes), columns and layout, its file name and the
    lineage generation of the run that wrote it (``None`` without lineage). JSON-ready."""
    lineage = manifest.get("lineage") or {}
    return {
        "version": SHARD_ATTRIBUTES_VERSION,
        "file": file,
        **{key: manifest[key] for key in ATTRIBUTE_KEYS[manifest["layout"]]},
        "lineage_generation": lineage.get("generation"),
    }


def check_shard_attributes(path: Path, expected: dict, found: dict | None) -> None:
    """Raise :class:`ShardIntegrityError` naming the shard ``path`` and every field where its
    own attributes (``found``; ``None``: it recorded none) differ from the manifest's."""
    if found is None:
        raise ShardIntegrityError(
            f"Shard '{path}' records no attributes of its own: it was written by an older "
            f"version of lstm-pipeline or by another tool. Run the windowing pipeline again."
        )
    differing = [key for key in expected if found.get(key) != expected[key]]
    if differing:
        details = "; ".join(
            f"{key}: the manifest says {expected[key]!r}, the shard {found.get(key)!r}"
            for key in differing
        )
        raise ShardIntegrityError(
            f"Shard '{path}' disagrees with '{path.parent / MANIFEST}' on {details}. The "
            f"manifest was edited or the shard comes from another run: run the windowing "
            f"pipeline again."
        )


def manifest_problems(manifest: Manifest | SequenceManifest) -> list[str]:
    """What ``manifest`` says that contradicts itself (each names the fields), or ``[]``."""
    if isinstance(manifest, SequenceManifest):
        return sequence_manifest_problems(manifest)
    m, problems = manifest, []
    for kind in ("feature", "target", "future"):
        names, index = getattr(m, f"{kind}_columns"), getattr(m, f"{kind}_index")
        if index != [m.columns.index(c) if c in m.columns else -1 for c in names]:
            problems.append(
                f"{kind}_index {index} does not point at {kind}_columns {names} in columns "
                f"{m.columns}"
            )
    problems += _side_input_problems(m)
    shapes = {
        "inputs": [m.input_length, len(m.feature_columns)],
        "targets": [m.horizon, len(m.target_columns)],
    }
    if m.shapes != shapes:
        problems.append(
            f"shapes {m.shapes} do not follow from input_length {m.input_length}, horizon "
            f"{m.horizon} and the feature and target columns (expected {shapes})"
        )
    if m.windows_total != sum(s.windows for s in m.shards):
        problems.append(f"windows_total {m.windows_total} is not the sum of the shards' windows")
    if m.layout == "segments":
        problems += _segment_table_problems(m)
    return problems


def _side_input_problems(m: Manifest) -> list[str]:
    """side_inputs must count the future columns, and list series exactly when the series
    code column is stored."""
    future, series = m.side_inputs.get("future", 0), m.side_inputs.get("series", 0)
    problems = []
    if future != len(m.future_columns):
        problems.append(f"side_inputs {m.side_inputs} do not count future_columns")
    if (series > 0) != (m.series_index is not None):
        problems.append(f"side_inputs {m.side_inputs} disagree with series_index")
    return problems


def sequence_manifest_problems(m: SequenceManifest) -> list[str]:
    """What a manifest of labelled sequences says that contradicts itself, or ``[]``."""
    problems = []
    if m.shapes != {"inputs": [None, len(m.feature_columns)]}:
        problems.append(
            f"shapes {m.shapes} do not follow from the feature columns (expected "
            f"{ {'inputs': [None, len(m.feature_columns)]} })"
        )
    if m.cases_total != sum(s.cases for s in m.shards):
        problems.append(f"cases_total {m.cases_total} is not the sum of the shards' cases")
    lengths = (m.min_length, m.max_length)
    known = None not in lengths and 1 <= lengths[0] <= lengths[1]
    if (m.cases_total > 0) != known or (m.cases_total == 0 and lengths != (None, None)):
        problems.append(
            f"min_length {m.min_length} and max_length {m.max_length} do not fit "
            f"{m.cases_total} case(s)"
        )
    return problems


def _segment_table_problems(m: Manifest) -> list[str]:
    counts, windows = Counter(), Counter()
    for shard, _, _, segment_windows in m.segments:
        counts[shard] += 1
        windows[shard] += segment_windows
    return [
        f"the segments table gives shard {shard.file} {counts[i]} segment(s) and {windows[i]} "
        f"windows, its shard entry {shard.segments} and {shard.windows}"
        for i, shard in enumerate(m.shards)
        if (counts[i], windows[i]) != (shard.segments, shard.windows)
    ]


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest`` as ``folder/manifest.json``. Raises ValueError (a bug, not a user
    mistake) when it is one that :func:`read_manifest` would refuse."""
    problems = manifest_problems(parse_manifest(manifest))
    if problems:
        raise ValueError(f"refusing to write an inconsistent manifest: {'; '.join(problems)}")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def read_manifest(folder: Path) -> Manifest | SequenceManifest:
    """The manifest of a shard folder. Raises :class:`ShardIntegrityError` when it is
    missing, does not parse, or contradicts itself (an edited manifest)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ShardIntegrityError(
            f"'{path}' is missing: '{folder}' is not a complete shard folder. Run the "
            f"windowing pipeline (kedro run --pipelines=windowing) to write it."
        )
    try:
        manifest = parse_manifest(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ShardIntegrityError(
            f"'{path}' is not a valid shard manifest ({exc}). Run the windowing pipeline again."
        ) from exc
    problems = manifest_problems(manifest)
    if problems:
        raise ShardIntegrityError(
            f"'{path}' contradicts itself: {'; '.join(problems)}. It was edited: run the "
            f"windowing pipeline again."
        )
    return manifest


def verify_shards(
    folder: Path, manifest: Manifest | SequenceManifest, checksum: bool = True
) -> None:
    """Raise :class:`ShardIntegrityError` naming the first shard that is missing or whose
    size (and, with ``checksum``, SHA-256) disagrees with the manifest."""
    for shard in manifest.shards:
        path = Path(folder) / shard.file
        if not path.is_file():
            raise ShardIntegrityError(f"Shard '{path}' listed in the manifest is missing.")
        size = path.stat().st_size
        if size != shard.bytes:
            raise ShardIntegrityError(
                f"Shard '{path}' has {size} bytes but the manifest says {shard.bytes}: it is "
                f"truncated or was changed. Run the windowing pipeline again."
            )
        if checksum and sha256_of(path) != shard.sha256:
            raise ShardIntegrityError(
                f"Shard '{path}' fails its SHA-256 check: it is corrupt. Run the windowing "
                f"pipeline again."
            )


def first_corrupt_shard(
    folder: Path, shards: Iterable[ShardInfo | CaseShardInfo]
) -> ShardInfo | CaseShardInfo | None:
    """The first of ``shards`` whose SHA-256 differs from its manifest entry (each is read
    in full, so only call it to name the culprit once a read has failed), or ``None``."""
    for shard in shards:
        path = Path(folder) / shard.file
        if not path.is_file() or sha256_of(path) != shard.sha256:
            return shard
    return None
