"""Shard files: HDF5 (h5py, chunked, compressed, checksummed) and TFRecord (GZIP or none).

Two layouts, one meaning:
- ``segments``: contiguous series segments; the reader cuts the windows.
- ``windows``: one record per sample (independent samples, or stride >= window span).

Writers take segments or window blocks one at a time, so a shard is never built in memory.
Readers yield the same items back: ``(values, windows, start_ns)`` per segment, or
``(inputs, targets, start_ns)`` per block of windows.

Every shard records its own attributes (:func:`~lstm_pipeline.windows.manifest.
shard_attributes`) as JSON: the HDF5 file attribute ``shard_attributes``, or the first
record of a TFRecord file (prefixed with ``TFRECORD_HEADER``; readers skip it). Corruption
is caught on read: HDF5 verifies each chunk's Fletcher-32 checksum, TFRecord each record's
CRC32C.
"""

import gzip
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.windows.choices import HDF5_COMPRESSION, TFRECORD_COMPRESSION
from lstm_pipeline.windows.manifest import shard_attributes
from lstm_pipeline.windows.segmenting import Segment

__all__ = ["HDF5_COMPRESSION", "TFRECORD_COMPRESSION"]  # re-exported: defined in choices

READ_BLOCK_WINDOWS = 4096  # windows per item when reading the windows layout from HDF5
SHARD_ATTRIBUTES = "shard_attributes"  # the HDF5 file attribute holding them
TFRECORD_HEADER = b"lstm_pipeline shard attributes\n"  # starts a TFRecord shard's first record
# per-chunk checksums, verified by HDF5 on every read; bench/windowing.py turns them off
# (in its child process) to measure what they cost
HDF5_FLETCHER32 = True


def shard_name(index: int, fmt: str, compression: str) -> str:
    """The file name of shard number ``index``."""
    if fmt == "hdf5":
        return f"shard-{index:05d}.h5"
    return f"shard-{index:05d}.tfrecord" + (".gz" if compression == "gzip" else "")


def _hdf5_filters(compression: str, level: int) -> dict:
    filters = {"fletcher32": True} if HDF5_FLETCHER32 else {}
    if compression == "gzip":
        return {**filters, "compression": "gzip", "compression_opts": level, "shuffle": True}
    if compression == "lzf":
        return {**filters, "compression": "lzf", "shuffle": True}
    return filters


def _open_hdf5(path: Path, attributes: dict) -> h5py.File:
    file = h5py.File(path, "w")
    file.attrs[SHARD_ATTRIBUTES] = json.dumps(attributes)
    return file


def _growing(file: h5py.File, name: str, shape, dtype: str, chunk: int, filters: dict):
    """An empty dataset of rows of ``shape`` that grows along its first axis."""
    return file.create_dataset(
        name, (0, *shape), dtype, maxshape=(None, *shape), chunks=(chunk, *shape), **filters
    )


class Hdf5SegmentShard:
    """One HDF5 file: ``values`` (rows, columns) and a ``segments`` table."""

    def __init__(self, path: Path, attributes: dict, compression: str, level: int) -> None:
        columns = len(attributes["columns"])
        self._file = _open_hdf5(path, attributes)
        chunk_rows = max(1, (256 * 1024) // (4 * columns))  # ~256 KiB chunks
        filters = _hdf5_filters(compression, level)
        self._values = _growing(self._file, "values", (columns,), "float32", chunk_rows, filters)
        self._table: list[tuple[int, int, int, int]] = []
        self.rows = self.windows = 0

    def add(self, segment: Segment) -> None:
        """Append one segment's rows and its row in the segments table."""
        rows = len(segment.values)
        self._values.resize(self.rows + rows, axis=0)
        self._values[self.rows :] = segment.values
        self._table.append((self.rows, rows, segment.windows, segment.start_ns))
        self.rows += rows
        self.windows += segment.windows

    def close(self) -> dict:
        """Finish the file; returns its rows, windows and segments."""
        table = np.asarray(self._table, dtype=np.int64).reshape(-1, 4)
        self._file.create_dataset("segments", data=table, **_hdf5_filters("none", 0))
        self._file.close()
        return {"rows": self.rows, "windows": self.windows, "segments": len(self._table)}


class Hdf5WindowShard:
    """One HDF5 file: ``inputs`` (n, input_length, features), ``targets``, ``start_ns``."""

    def __init__(self, path: Path, attributes: dict, shapes: dict, compression: str, level: int):
        self._file = _open_hdf5(path, attributes)
        input_shape, target_shape = shapes["inputs"], shapes["targets"]
        chunk = max(1, (256 * 1024) // (4 * int(np.prod(input_shape))))
        filters = _hdf5_filters(compression, level)
        self._inputs = _growing(self._file, "inputs", input_shape, "float32", chunk, filters)
        self._targets = _growing(self._file, "targets", target_shape, "float32", chunk, filters)
        plain = _hdf5_filters("none", 0)
        self._starts = _growing(self._file, "start_ns", (), "int64", max(chunk, 1024), plain)
        self.rows = self.windows = 0

    def add_windows(self, inputs: np.ndarray, targets: np.ndarray, start_ns: np.ndarray) -> None:
        """Append a block of windows and their start timestamps."""
        n = len(inputs)
        for dataset, block in (
            (self._inputs, inputs),
            (self._targets, targets),
            (self._starts, start_ns),
        ):
            dataset.resize(self.windows + n, axis=0)
            dataset[self.windows :] = block
        self.windows += n
        self.rows += n * inputs.shape[1]

    def close(self) -> dict:
        """Finish the file; returns its rows, windows and segments (none)."""
        self._file.close()
        return {"rows": self.rows, "windows": self.windows, "segments": 0}


def _tf():
    import tensorflow as tf  # only the TFRecord format needs TensorFlow

    return tf


def _bytes_feature(tf, data: bytes):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[data]))


def _int_feature(tf, value: int):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


class _TFRecordShard:
    """A TFRecord file whose first record holds the shard's attributes."""

    def __init__(self, path: Path, attributes: dict, compression: str) -> None:
        tf = self._tf = _tf()
        options = tf.io.TFRecordOptions(compression_type="GZIP" if compression == "gzip" else "")
        self._writer = tf.io.TFRecordWriter(str(path), options=options)
        self._writer.write(TFRECORD_HEADER + json.dumps(attributes).encode())
        self.rows = self.windows = self.segments = 0

    def _write(self, **features) -> None:
        tf = self._tf
        example = tf.train.Example(features=tf.train.Features(feature=features))
        self._writer.write(example.SerializeToString())

    def close(self) -> dict:
        """Finish the file; returns its rows, windows and segments."""
        self._writer.close()
        return {"rows": self.rows, "windows": self.windows, "segments": self.segments}


class TFRecordSegmentShard(_TFRecordShard):
    """One TFRecord file, one ``tf.train.Example`` per segment."""

    def add(self, segment: Segment) -> None:
        """Append one segment as one record."""
        tf = self._tf
        self._write(
            values=_bytes_feature(tf, segment.values.astype("<f4").tobytes()),
            rows=_int_feature(tf, len(segment.values)),
            windows=_int_feature(tf, segment.windows),
            start_ns=_int_feature(tf, segment.start_ns),
        )
        self.rows += len(segment.values)
        self.windows += segment.windows
        self.segments += 1


class TFRecordWindowShard(_TFRecordShard):
    """One TFRecord file, one ``tf.train.Example`` per window."""

    def add_windows(self, inputs: np.ndarray, targets: np.ndarray, start_ns: np.ndarray) -> None:
        """Append a block of windows, one record each."""
        tf = self._tf
        for x, y, start in zip(inputs, targets, start_ns, strict=True):
            self._write(
                inputs=_bytes_feature(tf, x.astype("<f4").tobytes()),
                targets=_bytes_feature(tf, y.astype("<f4").tobytes()),
                start_ns=_int_feature(tf, start),
            )
        self.windows += len(inputs)
        self.rows += len(inputs) * inputs.shape[1]


def open_shard(path: Path, manifest: dict):
    """A writer for one shard of the format and layout that ``manifest`` (a dict) describes;
    the shard records its attributes (see :func:`shard_attributes`) as it opens."""
    fmt, layout, compression = manifest["format"], manifest["layout"], manifest["compression"]
    level = manifest.get("compression_level", 4)
    attributes = shard_attributes(manifest, path.name)
    if fmt == "hdf5" and layout == "segments":
        return Hdf5SegmentShard(path, attributes, compression, level)
    if fmt == "hdf5":
        return Hdf5WindowShard(path, attributes, manifest["shapes"], compression, level)
    if layout == "segments":
        return TFRecordSegmentShard(path, attributes, compression)
    return TFRecordWindowShard(path, attributes, compression)


def read_shard_attributes(path: Path, fmt: str, compression: str) -> dict | None:
    """The attributes the shard at ``path`` recorded about itself, or ``None`` when it
    recorded none (an older writer). Reads only the HDF5 attributes or the first TFRecord
    record. Raises :class:`ShardIntegrityError` naming the shard when it cannot be opened."""
    try:
        if fmt == "hdf5":
            with h5py.File(path, "r") as file:
                text = file.attrs.get(SHARD_ATTRIBUTES)
        else:
            text = _tfrecord_header(path, compression)
        return None if text is None else json.loads(text)
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        raise ShardIntegrityError(
            f"Shard '{path}' cannot be opened as a {fmt} shard ({exc}): it is corrupt or was "
            f"replaced. Run the windowing pipeline again."
        ) from exc


def _tfrecord_header(path: Path, compression: str) -> str | None:
    """The first record's attributes, read without TensorFlow (length, CRC, data)."""
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as handle:
        prefix = handle.read(12)  # uint64 length, uint32 masked CRC of the length
        if len(prefix) < 12:
            raise ValueError("the file ends before its first record")
        (length,) = struct.unpack("<Q", prefix[:8])
        if length > 2**24:
            raise ValueError(f"its first record claims {length} bytes")
        record = handle.read(length)
    if not record.startswith(TFRECORD_HEADER):
        return None
    return record[len(TFRECORD_HEADER) :].decode()


def read_hdf5_items(path: str, layout: str, items: slice = slice(None)) -> Iterator[tuple]:
    """Yield the items of one HDF5 shard in stored order (see the module docstring);
    ``items``: only the segments (layout ``segments``) or windows (``windows``) in that
    range, the only rows read.

    Raises :class:`ShardIntegrityError` naming the shard when HDF5 cannot read it (a chunk
    failing its Fletcher-32 checksum, damaged metadata)."""
    try:
        with h5py.File(path, "r") as file:
            if layout == "segments":
                yield from _hdf5_segments(file, items)
            else:
                yield from _hdf5_window_blocks(file, items)
    except (OSError, KeyError) as exc:
        raise ShardIntegrityError(
            f"Shard '{path}' cannot be read ({exc}): it is corrupt (HDF5 checks every chunk's "
            f"checksum). Run the windowing pipeline again."
        ) from exc


def _hdf5_segments(file: h5py.File, items: slice) -> Iterator[tuple]:
    table, values = file["segments"], file["values"]
    for offset, rows, windows, start_ns in table[items]:
        yield values[offset : offset + rows], np.int64(windows), np.int64(start_ns)


def _hdf5_window_blocks(file: h5py.File, items: slice) -> Iterator[tuple]:
    inputs, targets, starts = file["inputs"], file["targets"], file["start_ns"]
    first, last, _ = items.indices(len(inputs))
    for begin in range(first, last, READ_BLOCK_WINDOWS):
        end = min(begin + READ_BLOCK_WINDOWS, last)
        yield inputs[begin:end], targets[begin:end], starts[begin:end]


def items_per_shard(layout: str, windows: int, segments: int) -> int:
    """How many items a shard of ``windows`` windows in ``segments`` segments yields."""
    return segments if layout == "segments" else -(-windows // READ_BLOCK_WINDOWS)


def tfrecord_items(path, manifest: dict):
    """A tf.data.Dataset of the items of one TFRecord shard, in stored order (its first
    record, the shard's attributes, skipped). TensorFlow checks every record's CRC32C."""
    tf = _tf()
    compression = "GZIP" if manifest["compression"] == "gzip" else ""
    records = tf.data.TFRecordDataset(path, compression_type=compression).skip(1)
    if manifest["layout"] == "segments":
        return records.map(_segment_parser(tf, len(manifest["columns"])))
    shapes = manifest["shapes"]
    return records.batch(READ_BLOCK_WINDOWS).map(
        _window_block_parser(tf, shapes["inputs"], shapes["targets"])
    )


def _segment_parser(tf, columns: int):
    spec = {
        "values": tf.io.FixedLenFeature([], tf.string),
        "windows": tf.io.FixedLenFeature([], tf.int64),
        "start_ns": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(record):
        item = tf.io.parse_single_example(record, spec)
        values = tf.reshape(tf.io.decode_raw(item["values"], tf.float32), [-1, columns])
        return values, item["windows"], item["start_ns"]

    return parse


def _window_block_parser(tf, input_shape, target_shape):
    spec = {
        "inputs": tf.io.FixedLenFeature([], tf.string),
        "targets": tf.io.FixedLenFeature([], tf.string),
        "start_ns": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse_block(block):
        items = tf.io.parse_example(block, spec)
        inputs = tf.reshape(tf.io.decode_raw(items["inputs"], tf.float32), [-1, *input_shape])
        targets = tf.reshape(tf.io.decode_raw(items["targets"], tf.float32), [-1, *target_shape])
        return inputs, targets, items["start_ns"]

    return parse_block
