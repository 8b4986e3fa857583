"""A shard folder (shards + manifest.json) on object storage.

Layout under the folder's URL: ``manifest.json`` and each shard at
``objects/<first 16 hex of its SHA-256>/<file>``. Shards are content-addressed because an
object store has no rename: a new save puts its shards beside the old ones, never over them,
then puts the manifest last (one atomic put) and only then removes the objects the new
manifest no longer lists. A save that fails at any point leaves the previous manifest and
every object it lists byte-identical; unchanged shards are not uploaded again.

Loads stage the folder into a local cache entry named by the SHA-256 of the manifest (which
lists every shard's SHA-256): the reader and trainer then read local files, as they do for a
local folder. Reading through fsspec instead was rejected: the reader opens every shard once
per epoch in a shuffled order, HDF5 over ranged GETs costs a round trip per chunk, TFRecord
would need TensorFlow's own S3 plugin (gone from TensorFlow), and ``verify: sha256`` reads
every byte anyway.
"""

import hashlib
import json
import shutil
from pathlib import Path

from lstm_pipeline.files import atomic_target
from lstm_pipeline.storage.remote import (
    Remote,
    cache_folder,
    download,
    exists,
    put_bytes,
    read_bytes,
    storage_errors,
    upload,
)
from lstm_pipeline.windows.manifest import MANIFEST

OBJECTS = "objects"


def shard_key(entry: dict) -> tuple[str, str]:
    """The parts of a shard's key below the folder's URL, from its manifest ``entry``."""
    return OBJECTS, f"{entry['sha256'][:16]}/{entry['file']}"


def upload_shard_folder(local: Path, remote: Remote) -> None:
    """Put the complete local shard folder ``local`` at ``remote``: the shards first (those
    already there with the same content are kept), the manifest last, then the objects the
    new manifest does not list are removed."""
    manifest_bytes = (local / MANIFEST).read_bytes()
    shards = json.loads(manifest_bytes)["shards"]
    for entry in shards:
        prefix, name = shard_key(entry)
        if not exists(remote, prefix, name):
            upload(remote, local / entry["file"], prefix, name)
    put_bytes(remote, manifest_bytes, MANIFEST)
    _remove_unlisted(remote, {remote.key(*shard_key(entry)) for entry in shards})


def _remove_unlisted(remote: Remote, listed: set[str]) -> None:
    """Remove the shard objects below ``remote`` that no manifest lists any more (left by
    an earlier save, or by a save that failed before its manifest)."""
    with storage_errors(remote.url_of(OBJECTS)):
        remote.fs.invalidate_cache(remote.key(OBJECTS))
        found = remote.fs.find(remote.key(OBJECTS)) if exists(remote, OBJECTS) else []
        stale = [key for key in found if key not in listed]
        if stale:
            remote.fs.rm(stale)
            remote.fs.invalidate_cache(remote.key(OBJECTS))


def manifest_exists(remote: Remote) -> bool:
    """Whether a complete shard folder (its manifest, written last) is at ``remote``."""
    return exists(remote, MANIFEST)


def read_remote_manifest(remote: Remote) -> bytes:
    """The manifest's bytes; StorageError naming it when it (or the bucket) is missing."""
    return read_bytes(remote, MANIFEST)


def staged_entry(remote: Remote, cache: str | Path, manifest_bytes: bytes) -> Path:
    """The local cache folder of the shard folder whose manifest is ``manifest_bytes``."""
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    return cache_folder(remote, cache) / digest


def stage_shard_folder(remote: Remote, cache: str | Path) -> Path:
    """A local copy of the shard folder at ``remote`` (its manifest and every shard it
    lists), downloaded once per manifest into ``cache`` and moved into place whole, so a
    killed download never leaves an entry that looks complete."""
    manifest_bytes = read_remote_manifest(remote)
    entry = staged_entry(remote, cache, manifest_bytes)
    if (entry / MANIFEST).is_file():
        return entry
    with atomic_target(entry) as temporary:
        temporary.mkdir()
        for shard in json.loads(manifest_bytes)["shards"]:
            download(remote, temporary / shard["file"], *shard_key(shard))
        (temporary / MANIFEST).write_bytes(manifest_bytes)
    return entry


def keep_in_cache(local: Path, remote: Remote, cache: str | Path) -> None:
    """Move the just-uploaded local folder ``local`` into the cache as the staged copy of
    what ``remote`` now holds, so loading it on this machine downloads nothing."""
    entry = staged_entry(remote, cache, (local / MANIFEST).read_bytes())
    if (entry / MANIFEST).is_file():
        return
    with atomic_target(entry) as temporary:
        shutil.move(local, temporary)  # a rename when the scratch shares the cache's disk
