"""manifest.json: everything a reader needs, and each shard's size and SHA-256."""

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from lstm_pipeline.errors import ShardIntegrityError

MANIFEST = "manifest.json"


class ShardInfo(BaseModel):
    file: str
    bytes: int
    sha256: str
    windows: int
    rows: int
    segments: int


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    format: Literal["hdf5", "tfrecord"]
    layout: Literal["segments", "windows"]
    compression: str
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
    step_ns: int
    windows_total: int
    shapes: dict[str, list[int]]
    shards: list[ShardInfo]
    segments: list[list[int]]  # [shard, start_ns, rows, windows] per segment (segments layout)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> None:
    Manifest.model_validate(manifest)  # never write a manifest a reader would refuse
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def read_manifest(folder: Path) -> Manifest:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ShardIntegrityError(
            f"'{path}' is missing: '{folder}' is not a complete shard folder. Run the "
            f"windowing pipeline (kedro run --pipelines=windowing) to write it."
        )
    try:
        return Manifest.model_validate(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ShardIntegrityError(
            f"'{path}' is not a valid shard manifest ({exc}). Run the windowing pipeline again."
        ) from exc


def verify_shards(folder: Path, manifest: Manifest, checksum: bool = True) -> None:
    """Raise naming the first shard whose size (and SHA-256) disagrees with the manifest."""
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
