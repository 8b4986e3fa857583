"""Shard files: HDF5 (h5py, chunked, compressed) and TFRecord (GZIP or none).

Two layouts, one meaning:
- ``segments``: contiguous series segments; the reader cuts the windows.
- ``windows``: one record per sample (independent samples, or stride >= window span).

Writers take segments or window blocks one at a time, so a shard is never built in memory.
Readers yield the same items back: ``(values, windows, start_ns)`` per segment, or
``(inputs, targets, start_ns)`` per block of windows.
"""

from pathlib import Path

import h5py
import numpy as np

from lstm_pipeline.windows.segmenting import Segment

HDF5_COMPRESSION = ("gzip", "lzf", "none")
TFRECORD_COMPRESSION = ("gzip", "none")
READ_BLOCK_WINDOWS = 4096  # windows per item when reading the windows layout from HDF5


def shard_name(index: int, fmt: str, compression: str) -> str:
    if fmt == "hdf5":
        return f"shard-{index:05d}.h5"
    return f"shard-{index:05d}.tfrecord" + (".gz" if compression == "gzip" else "")


def _hdf5_filter(compression: str, level: int) -> dict:
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": level, "shuffle": True}
    if compression == "lzf":
        return {"compression": "lzf", "shuffle": True}
    return {}


class Hdf5SegmentShard:
    """One HDF5 file: ``values`` (rows, columns) and a ``segments`` table."""

    def __init__(self, path: Path, columns: int, compression: str, level: int) -> None:
        self._file = h5py.File(path, "w")
        chunk_rows = max(1, (256 * 1024) // (4 * columns))  # ~256 KiB chunks
        self._values = self._file.create_dataset(
            "values",
            shape=(0, columns),
            maxshape=(None, columns),
            dtype="float32",
            chunks=(chunk_rows, columns),
            **_hdf5_filter(compression, level),
        )
        self._table: list[tuple[int, int, int, int]] = []
        self.rows = self.windows = 0

    def add(self, segment: Segment) -> None:
        rows = len(segment.values)
        self._values.resize(self.rows + rows, axis=0)
        self._values[self.rows :] = segment.values
        self._table.append((self.rows, rows, segment.windows, segment.start_ns))
        self.rows += rows
        self.windows += segment.windows

    def close(self) -> dict:
        self._file.create_dataset(
            "segments", data=np.asarray(self._table, dtype=np.int64).reshape(-1, 4)
        )
        self._file.close()
        return {"rows": self.rows, "windows": self.windows, "segments": len(self._table)}


class Hdf5WindowShard:
    """One HDF5 file: ``inputs`` (n, input_length, features), ``targets``, ``start_ns``."""

    def __init__(self, path: Path, input_shape, target_shape, compression: str, level: int):
        self._file = h5py.File(path, "w")
        chunk = max(1, (256 * 1024) // (4 * int(np.prod(input_shape))))
        filters = _hdf5_filter(compression, level)
        self._inputs = self._file.create_dataset(
            "inputs",
            (0, *input_shape),
            "float32",
            maxshape=(None, *input_shape),
            chunks=(chunk, *input_shape),
            **filters,
        )
        self._targets = self._file.create_dataset(
            "targets",
            (0, *target_shape),
            "float32",
            maxshape=(None, *target_shape),
            chunks=(chunk, *target_shape),
            **filters,
        )
        self._starts = self._file.create_dataset(
            "start_ns", (0,), "int64", maxshape=(None,), chunks=(max(chunk, 1024),)
        )
        self.rows = self.windows = 0

    def add_windows(self, inputs: np.ndarray, targets: np.ndarray, start_ns: np.ndarray) -> None:
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
        self._file.close()
        return {"rows": self.rows, "windows": self.windows, "segments": 0}


def _tf():
    import tensorflow as tf  # only the TFRecord format needs TensorFlow

    return tf


def _bytes_feature(tf, data: bytes):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[data]))


def _int_feature(tf, value: int):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


class TFRecordSegmentShard:
    """One TFRecord file, one ``tf.train.Example`` per segment."""

    def __init__(self, path: Path, compression: str) -> None:
        tf = self._tf = _tf()
        options = tf.io.TFRecordOptions(compression_type="GZIP" if compression == "gzip" else "")
        self._writer = tf.io.TFRecordWriter(str(path), options=options)
        self.rows = self.windows = self.segments = 0

    def add(self, segment: Segment) -> None:
        tf = self._tf
        example = tf.train.Example(
            features=tf.train.Features(
                feature={
                    "values": _bytes_feature(tf, segment.values.astype("<f4").tobytes()),
                    "rows": _int_feature(tf, len(segment.values)),
                    "windows": _int_feature(tf, segment.windows),
                    "start_ns": _int_feature(tf, segment.start_ns),
                }
            )
        )
        self._writer.write(example.SerializeToString())
        self.rows += len(segment.values)
        self.windows += segment.windows
        self.segments += 1

    def close(self) -> dict:
        self._writer.close()
        return {"rows": self.rows, "windows": self.windows, "segments": self.segments}


class TFRecordWindowShard:
    """One TFRecord file, one ``tf.train.Example`` per window."""

    def __init__(self, path: Path, compression: str) -> None:
        tf = self._tf = _tf()
        options = tf.io.TFRecordOptions(compression_type="GZIP" if compression == "gzip" else "")
        self._writer = tf.io.TFRecordWriter(str(path), options=options)
        self.rows = self.windows = 0

    def add_windows(self, inputs: np.ndarray, targets: np.ndarray, start_ns: np.ndarray) -> None:
        tf = self._tf
        for x, y, start in zip(inputs, targets, start_ns, strict=True):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "inputs": _bytes_feature(tf, x.astype("<f4").tobytes()),
                        "targets": _bytes_feature(tf, y.astype("<f4").tobytes()),
                        "start_ns": _int_feature(tf, start),
                    }
                )
            )
            self._writer.write(example.SerializeToString())
        self.windows += len(inputs)
        self.rows += len(inputs) * inputs.shape[1]

    def close(self) -> dict:
        self._writer.close()
        return {"rows": self.rows, "windows": self.windows, "segments": 0}


def open_shard(path: Path, manifest: dict):
    """A writer for one shard of the format and layout that ``manifest`` describes."""
    fmt, layout, compression = manifest["format"], manifest["layout"], manifest["compression"]
    level = manifest.get("compression_level", 4)
    if fmt == "hdf5" and layout == "segments":
        return Hdf5SegmentShard(path, len(manifest["columns"]), compression, level)
    if fmt == "hdf5":
        shapes = manifest["shapes"]
        return Hdf5WindowShard(path, shapes["inputs"], shapes["targets"], compression, level)
    if layout == "segments":
        return TFRecordSegmentShard(path, compression)
    return TFRecordWindowShard(path, compression)


def read_hdf5_items(path: str, layout: str):
    """Yield the items of one HDF5 shard in stored order (see the module docstring)."""
    with h5py.File(path, "r") as file:
        if layout == "segments":
            values = file["values"]
            for offset, rows, windows, start_ns in file["segments"][()]:
                yield values[offset : offset + rows], np.int64(windows), np.int64(start_ns)
        else:
            inputs, targets, starts = file["inputs"], file["targets"], file["start_ns"]
            for begin in range(0, len(inputs), READ_BLOCK_WINDOWS):
                end = begin + READ_BLOCK_WINDOWS
                yield inputs[begin:end], targets[begin:end], starts[begin:end]


def tfrecord_items(path, manifest: dict):
    """A tf.data.Dataset of the items of one TFRecord shard, in stored order."""
    tf = _tf()
    compression = "GZIP" if manifest["compression"] == "gzip" else ""
    records = tf.data.TFRecordDataset(path, compression_type=compression)
    if manifest["layout"] == "segments":
        columns = len(manifest["columns"])
        spec = {
            "values": tf.io.FixedLenFeature([], tf.string),
            "windows": tf.io.FixedLenFeature([], tf.int64),
            "start_ns": tf.io.FixedLenFeature([], tf.int64),
        }

        def parse(record):
            item = tf.io.parse_single_example(record, spec)
            values = tf.reshape(tf.io.decode_raw(item["values"], tf.float32), [-1, columns])
            return values, item["windows"], item["start_ns"]

        return records.map(parse)
    input_shape, target_shape = manifest["shapes"]["inputs"], manifest["shapes"]["targets"]
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

    return records.batch(READ_BLOCK_WINDOWS).map(parse_block)
