"""Shard files of labelled sequences (layout ``sequences``): one record per case, unpadded.

- HDF5: ``values`` (total steps, features) float32, chunked, compressed and Fletcher-32
  checksummed; ``offsets`` (cases + 1) int64 (case i is rows offsets[i]:offsets[i+1]),
  ``labels`` int32 and ``cases`` int64.
- TFRecord: one ``tf.train.Example`` per case: ``values`` (float list, the (length,
  features) array flattened), ``length``, ``label`` and ``case``.

Writers take one case at a time; readers yield ``(values, label, case)`` per case in stored
order. Every shard records its own attributes as the window shards do (see stores.py), and
corruption is caught on read (Fletcher-32, CRC32C) and named.
"""

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.windows.manifest import shard_attributes
from lstm_pipeline.windows.stores import (
    _growing,
    _hdf5_filters,
    _int_feature,
    _open_hdf5,
    _TFRecordShard,
)

WRITE_BLOCK_BYTES = 1 << 20  # cases buffered before one HDF5 write
READ_BLOCK_ROWS = 65_536  # time steps read from HDF5 at a time (whole cases)


class Hdf5CaseShard:
    """One HDF5 file of cases: ``values``, ``offsets``, ``labels``, ``cases``."""

    def __init__(self, path: Path, attributes: dict, compression: str, level: int) -> None:
        features = len(attributes["feature_columns"])
        self._file = _open_hdf5(path, attributes)
        chunk_rows = max(1, (256 * 1024) // (4 * max(features, 1)))  # ~256 KiB chunks
        filters = _hdf5_filters(compression, level)
        self._values = _growing(self._file, "values", (features,), "float32", chunk_rows, filters)
        self._ends: list[int] = []
        self._labels: list[int] = []
        self._cases: list[int] = []
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self.rows = 0

    def add_case(self, case: int, label: int, values: np.ndarray) -> None:
        """Append one case (``values``: float32 (length, features))."""
        self._buffer.append(values)
        self._buffered += values.nbytes
        self.rows += len(values)
        self._ends.append(self.rows)
        self._labels.append(label)
        self._cases.append(case)
        if self._buffered >= WRITE_BLOCK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        block = np.concatenate(self._buffer)
        start = len(self._values)
        self._values.resize(start + len(block), axis=0)
        self._values[start:] = block
        self._buffer, self._buffered = [], 0

    def close(self) -> dict:
        """Finish the file; returns its cases and rows."""
        self._flush()
        plain = _hdf5_filters("none", 0)
        offsets = np.asarray([0, *self._ends], dtype=np.int64)
        self._file.create_dataset("offsets", data=offsets, **plain)
        self._file.create_dataset("labels", data=np.asarray(self._labels, np.int32), **plain)
        self._file.create_dataset("cases", data=np.asarray(self._cases, np.int64), **plain)
        self._file.close()
        return {"cases": len(self._cases), "rows": self.rows}


class TFRecordCaseShard(_TFRecordShard):
    """One TFRecord file, one ``tf.train.Example`` per case."""

    cases = 0

    def add_case(self, case: int, label: int, values: np.ndarray) -> None:
        """Append one case as one record."""
        tf = self._tf
        self._write(
            values=tf.train.Feature(float_list=tf.train.FloatList(value=values.ravel().tolist())),
            length=_int_feature(tf, len(values)),
            label=_int_feature(tf, label),
            case=_int_feature(tf, case),
        )
        self.cases += 1
        self.rows += len(values)

    def close(self) -> dict:
        """Finish the file; returns its cases and rows."""
        self._writer.close()
        return {"cases": self.cases, "rows": self.rows}


def open_case_shard(path: Path, manifest: dict):
    """A writer for one shard of cases in the format ``manifest`` (a dict) names; the shard
    records its attributes as it opens."""
    attributes = shard_attributes(manifest, path.name)
    if manifest["format"] == "hdf5":
        level = manifest.get("compression_level", 4)
        return Hdf5CaseShard(path, attributes, manifest["compression"], level)
    return TFRecordCaseShard(path, attributes, manifest["compression"])


def read_hdf5_cases(
    path: str, items: slice = slice(None)
) -> Iterator[tuple[np.ndarray, np.int32, np.int64]]:
    """``(values, label, case)`` per case of one HDF5 shard, in stored order, read a block
    of whole cases at a time; ``items``: only the cases in that range (the only rows read).
    Raises :class:`ShardIntegrityError` naming the shard when HDF5 cannot read it (a chunk
    failing its Fletcher-32 checksum, damaged metadata)."""
    try:
        with h5py.File(path, "r") as file:
            begin, end, _ = items.indices(len(file["labels"]))
            # offsets stay absolute row numbers into values; case i here is case begin + i
            offsets = file["offsets"][begin : end + 1]
            labels, cases = file["labels"][begin:end], file["cases"][begin:end]
            values = file["values"]
            for first, last in _blocks(offsets):
                block = values[offsets[first] : offsets[last]]
                starts = offsets[first : last + 1] - offsets[first]
                for i in range(first, last):
                    j = i - first
                    yield block[starts[j] : starts[j + 1]], labels[i], cases[i]
    except (OSError, KeyError, ValueError) as exc:
        raise ShardIntegrityError(
            f"Shard '{path}' cannot be read ({exc}): it is corrupt (HDF5 checks every chunk's "
            f"checksum). Run the windowing pipeline again."
        ) from exc


def _blocks(offsets: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, last) case ranges of about ``READ_BLOCK_ROWS`` rows, at least one case each."""
    cases, first = len(offsets) - 1, 0
    while first < cases:
        limit = offsets[first] + READ_BLOCK_ROWS
        last = max(first + 1, int(np.searchsorted(offsets, limit, side="right")) - 1)
        last = min(last, cases)
        yield first, last
        first = last


def tfrecord_cases(path, manifest: dict):
    """A tf.data.Dataset of ``(values, label, case)`` per case of one TFRecord shard, in
    stored order (its first record, the shard's attributes, skipped). TensorFlow checks
    every record's CRC32C."""
    import tensorflow as tf

    compression = "GZIP" if manifest["compression"] == "gzip" else ""
    features = len(manifest["feature_columns"])
    spec = {
        "values": tf.io.VarLenFeature(tf.float32),
        "length": tf.io.FixedLenFeature([], tf.int64),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "case": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(record):
        item = tf.io.parse_single_example(record, spec)
        values = tf.reshape(tf.sparse.to_dense(item["values"]), [item["length"], features])
        return values, tf.cast(item["label"], tf.int32), item["case"]

    records = tf.data.TFRecordDataset(path, compression_type=compression).skip(1)
    return records.map(parse)
