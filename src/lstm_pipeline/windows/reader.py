"""The streaming input pipeline: shard folder -> tf.data.Dataset of (inputs, targets) batches.

Forecasting shards (layouts ``segments`` and ``windows``) give windows, as below; shards of
labelled sequences (layout ``sequences``) give padded, masked, length-bucketed batches of
cases (see bucketing.py). :func:`make_dataset` dispatches on the manifest's layout.

Two stages:
1. Shards are read interleaved (TFRecord through a parallel tf.data interleave, HDF5
   through h5py), yielding segments (or blocks of stored windows) in a seeded, per-epoch
   shuffled shard order (:meth:`ShardSet.iter_items`). Distributed, each input pipeline
   reads its own share (:func:`pipeline_share`): TFRecord whole files, HDF5 index ranges.
2. A pool of those segments feeds batches: each batch takes windows from every segment in
   the pool (so batches mix windows across shards), picked by a per-epoch seeded
   permutation, and cut with one contiguous copy per window (batching.py, cutting.py).
   Prefetching overlaps this with training.

Opening a folder checks the manifest, every shard's size (or SHA-256) and every shard's own
attributes against the manifest; reading checks every HDF5 chunk's Fletcher-32 checksum or
every TFRecord record's CRC32C, and names the shard that fails.

Example:
    >>> ds = make_dataset("data/05_model_input/train_shards", batch_size=256, seed=1)
    >>> inputs, targets = next(iter(ds))
    >>> inputs.shape, targets.shape   # (256, input_length, n_features), (256, horizon, n_targets)

With side inputs (columns known over the horizon, the series code: see
:mod:`lstm_pipeline.models.side`) the inputs are ``{"inputs", "future", "series"}``.
"""

import ctypes
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from lstm_pipeline.errors import ShardIntegrityError
from lstm_pipeline.windows.batching import ReadOrder, iter_batches
from lstm_pipeline.windows.bucketing import iter_case_batches
from lstm_pipeline.windows.case_stores import read_hdf5_cases, tfrecord_cases
from lstm_pipeline.windows.choices import VERIFY
from lstm_pipeline.windows.cutting import SegmentWindows, WindowBlock
from lstm_pipeline.windows.manifest import (
    CaseShardInfo,
    Manifest,
    SequenceManifest,
    ShardInfo,
    check_shard_attributes,
    first_corrupt_shard,
    read_manifest,
    shard_attributes,
    verify_shards,
)
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.stores import (
    items_per_shard,
    read_hdf5_items,
    read_shard_attributes,
    tfrecord_items,
)


class ShardSet:
    """A verified shard folder: the manifest plus access to its items. Holds no window data.

    Opening checks that the manifest parses and agrees with itself, every shard's size
    (``verify="size"``), SHA-256 (``"sha256"``) or neither (``"none"``), and, whatever
    ``verify`` says, that every shard's own attributes equal the manifest's (cheap: the
    HDF5 attributes or first TFRecord record only). Raises :class:`ShardIntegrityError`
    naming the file and the field at fault.
    """

    def __init__(self, folder: str | Path, verify: str = "size") -> None:
        if verify not in VERIFY:
            raise ValueError(f"verify must be one of {VERIFY}, got {verify!r}")
        self.folder = Path(folder)
        self.manifest: Manifest = read_manifest(self.folder)
        if verify != "none":
            verify_shards(self.folder, self.manifest, checksum=verify == "sha256")
        self._check_shard_attributes()
        m = self.manifest
        self.spec = (
            None if self.is_sequences else WindowSpec(m.input_length, m.horizon, m.offset, m.stride)
        )

    @property
    def is_sequences(self) -> bool:
        """Whether the folder holds labelled sequences (layout ``sequences``)."""
        return isinstance(self.manifest, SequenceManifest)

    def _check_shard_attributes(self) -> None:
        m = self.manifest
        described = m.model_dump()
        for shard in m.shards:
            path = self.folder / shard.file
            found = read_shard_attributes(path, m.format, m.compression)
            check_shard_attributes(path, shard_attributes(described, shard.file), found)

    def __repr__(self) -> str:
        m = self.manifest
        if self.is_sequences:
            return (
                f"ShardSet('{self.folder}', {m.format}/{m.layout}, {m.cases_total} cases of "
                f"{m.min_length}..{m.max_length} steps x {len(m.feature_columns)} features, "
                f"{len(m.classes)} classes, in {len(m.shards)} shard(s))"
            )
        return (
            f"ShardSet('{self.folder}', {m.format}/{m.layout}, {m.windows_total} windows of "
            f"{m.shapes['inputs']} -> {m.shapes['targets']} in {len(m.shards)} shard(s))"
        )

    @property
    def windows_total(self) -> int:
        """Windows in the folder, all shards together (labelled sequences: the cases, the
        examples a batch is drawn from, as :attr:`samples_total`)."""
        return self.samples_total

    @property
    def samples_total(self) -> int:
        """Examples in the folder: windows (forecasting) or cases (labelled sequences)."""
        m = self.manifest
        return m.cases_total if self.is_sequences else m.windows_total

    @property
    def task(self) -> str:
        """``classification`` for labelled sequences, else ``forecast``."""
        return "classification" if self.is_sequences else "forecast"

    @property
    def cases_total(self) -> int:
        """Cases in the folder (labelled sequences; 0 for forecasting shards)."""
        return self.manifest.cases_total if self.is_sequences else 0

    @property
    def classes(self) -> list[str]:
        """The class names, code i <-> classes[i] (``[]`` for forecasting shards)."""
        return list(self.manifest.classes) if self.is_sequences else []

    @property
    def min_length(self) -> int | None:
        """The shortest case's length (forecasting: the input length; None: no case)."""
        return self.manifest.min_length if self.is_sequences else self.manifest.input_length

    @property
    def max_length(self) -> int | None:
        """The longest case's length (forecasting: the input length; None: no case)."""
        return self.manifest.max_length if self.is_sequences else self.manifest.input_length

    def case_table(self) -> pd.DataFrame:
        """``case``, ``label`` (int32 code) and ``length`` of every case, in stored order
        (the order of ``make_dataset(shuffle=False)``), read shard after shard. Raises
        ValueError for forecasting shards, :class:`ShardIntegrityError` for a corrupt one."""
        if not self.is_sequences:
            raise ValueError(f"{self.folder} holds windows, not labelled cases")
        rows = [
            (int(case), int(label), len(values))
            for values, label, case in self.iter_items(range(len(self.manifest.shards)), 1)
        ]
        table = pd.DataFrame(rows, columns=["case", "label", "length"])
        return table.astype({"case": "int64", "label": "int32", "length": "int64"})

    @property
    def lineage(self) -> dict | None:
        """Which windowing run wrote these shards (see :mod:`lstm_pipeline.lineage`)."""
        return getattr(self.manifest, "lineage", None)

    def iter_items(self, shard_order: Sequence, cycle_length: int) -> Iterator[tuple]:
        """Stage 1: the items of the shards in ``shard_order``, ``cycle_length`` shards
        interleaved. An entry is a shard number (the whole shard) or, for HDF5, a
        :class:`ShardPiece` (a range of its items, read alone). Raises
        :class:`ShardIntegrityError` naming a shard that fails its checksums as it is read."""
        parts = list(shard_order)
        if not parts:
            return iter(())
        cycle = max(1, min(cycle_length, len(parts)))
        if self.manifest.format == "tfrecord":
            return self._tfrecord_items([self.manifest.shards[i] for i in parts], cycle)
        # HDF5 is read in Python, not through tf.data.from_generator: a generator nested in
        # the batch generator's py_func made the HDF5 path 3x slower (GIL ping-pong)
        return _round_robin((self._hdf5_items(part) for part in parts), cycle)

    def _hdf5_items(self, part: "int | ShardPiece") -> Iterator[tuple]:
        """The items of one HDF5 shard, or of one piece of it (only that range is read)."""
        shard, items = (
            (part.shard, slice(part.start, part.stop))
            if isinstance(part, ShardPiece)
            else (part, slice(None))
        )
        path = str(self.folder / self.manifest.shards[shard].file)
        return _HDF5_READERS[self.manifest.layout](path, self.manifest.layout, items)

    def _tfrecord_items(
        self, shards: list[ShardInfo] | list[CaseShardInfo], cycle: int
    ) -> Iterator[tuple]:
        import tensorflow as tf

        manifest = self.manifest.model_dump()
        paths = [str(self.folder / s.file) for s in shards]

        read = _TFRECORD_READERS[manifest["layout"]]

        def items_of(path, position):  # each item carries its shard's position in `shards`
            return read(path, manifest).map(lambda *item: (*item, position))

        positions = tf.range(len(paths), dtype=tf.int64)
        dataset = (
            tf.data.Dataset.from_tensor_slices((tf.constant(paths, dtype=tf.string), positions))
            .interleave(
                items_of,
                cycle_length=cycle,
                block_length=1,
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
            .prefetch(2)
        )
        return self._named_read_errors(dataset.as_numpy_iterator(), shards)

    def _named_read_errors(
        self, items: Iterator[tuple], shards: list[ShardInfo] | list[CaseShardInfo]
    ):
        """``items`` without their shard position; a failed read (a record failing its
        CRC32C, a broken GZIP stream) names the shard, found by the SHA-256 of the shards
        not yet read to the end, in reading order, stopping at the first that differs."""
        import tensorflow as tf

        left = [_items_in(self.manifest.layout, s) for s in shards]
        try:
            for *item, position in items:
                left[position] -= 1
                yield tuple(item)
        except tf.errors.OpError as exc:
            unread = [shard for shard, count in zip(shards, left, strict=True) if count > 0]
            culprit = first_corrupt_shard(self.folder, unread)
            if culprit is None:
                raise
            reason = _TF_NOISE.sub("", exc.message.split("\n")[0]).strip()
            raise ShardIntegrityError(
                f"Shard '{self.folder / culprit.file}' cannot be read ({reason}) and fails "
                f"its SHA-256 check: it is corrupt. Run the windowing pipeline again."
            ) from exc

    def window_source(self, item) -> SegmentWindows | WindowBlock:
        """The windows of one item, addressable by window number."""
        m = self.manifest
        if m.layout == "segments":
            values, windows, _ = item
            return SegmentWindows(
                values,
                int(windows),
                self.spec,
                m.feature_index,
                m.target_index,
                m.future_index,
                m.series_index,
            )
        inputs, targets, _ = item
        return WindowBlock(inputs, targets)

    def window_start_ns(self) -> np.ndarray:
        """Start timestamp (ns) of every window, in stored order (unshuffled reading order)."""
        m = self.manifest
        if m.layout == "segments":
            grid, stride = m.grid, m.stride
            parts = [grid.advance(start, stride * np.arange(w)) for _, start, _, w in m.segments]
            return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        starts = [item[2] for item in self.iter_items(range(len(m.shards)), 1)]
        return np.concatenate(starts) if starts else np.empty(0, dtype=np.int64)


def _items_in(layout: str, shard: ShardInfo | CaseShardInfo) -> int:
    """How many items reading ``shard`` yields: its cases, segments or window blocks."""
    if layout == "sequences":
        return shard.cases
    return items_per_shard(layout, shard.windows, shard.segments)


_HDF5_READERS = {
    "segments": read_hdf5_items,
    "windows": read_hdf5_items,
    "sequences": lambda path, layout, items: read_hdf5_cases(path, items),
}
_TFRECORD_READERS = {
    "segments": tfrecord_items,
    "windows": tfrecord_items,
    "sequences": tfrecord_cases,
}

_TF_NOISE = re.compile(r"\{\{[^}]*\}\}|\[Op:\w+\].*$")  # op names, not the reason


def _round_robin(iterators: Iterator[Iterator], cycle: int) -> Iterator:
    """One item from each of ``cycle`` open iterators in turn; the next opens as one ends."""
    pending = iter(iterators)
    active = [it for it in itertools.islice(pending, cycle)]
    while active:
        for it in list(active):
            item = next(it, _DONE)
            if item is _DONE:
                active.remove(it)
                following = next(pending, None)
                if following is not None:
                    active.append(following)
            else:
                yield item


_DONE = object()


def make_dataset(
    shards_dir,
    batch_size: int,
    *,
    input_context=None,
    verify: str = "size",
    prefetch: int | None = None,
    **order_options,
):
    """A ``tf.data.Dataset`` of float32 ``(inputs, targets)`` batches of shapes
    ``(batch, input_length, n_features)`` and ``(batch, horizon, n_targets)``; for labelled
    sequences (layout ``sequences``), ``({"values": float32 (batch, T_b, n_features)
    zero-padded, "mask": bool (batch, T_b)}, labels int32 (batch,))``, batches of cases
    bucketed by length in a pool, ``T_b`` the longest rounded up to ``pad_to_multiple``.

    Args:
        shards_dir: a shard folder (with manifest.json) or a loaded :class:`ShardSet`.
        batch_size: windows per batch (the global batch when ``input_context`` is given).
        input_context: a ``tf.distribute.InputContext``; each input pipeline then reads
            a disjoint share (:func:`pipeline_share`: TFRecord shard files ``i::n``, HDF5 a
            contiguous range of segments, windows or cases) and yields per-replica batches.
        verify: check shard sizes (``"size"``), SHA-256 (``"sha256"``) or neither on
            opening; shard attributes are always checked, checksums on every read.
        prefetch: batches prefetched (``None``: tuned).
        order_options: the fields of :class:`~lstm_pipeline.windows.batching.ReadOrder`
            (``shuffle``, ``seed``, ``repeat``, ``drop_remainder``, ``epoch``,
            ``epoch_steps``, ``epochs``, ...), documented there.

    Raises:
        ShardIntegrityError: a manifest or shard is missing, edited or corrupt (found while
            iterating, tf.data re-raises it as an error whose message starts with its name).
    """
    _keep_large_buffers_in_heap()
    order = ReadOrder(**order_options)
    _check_positive(batch_size=batch_size, pad_to_multiple=order.pad_to_multiple)
    for name in ("epoch_steps", "epochs"):
        if (value := getattr(order, name)) is not None:
            _check_positive(**{name: value})
    shard_set = shards_dir if isinstance(shards_dir, ShardSet) else ShardSet(shards_dir, verify)
    shard_ids, batch_size = _worker_share(shard_set, batch_size, input_context)
    return _dataset(shard_set, shard_ids, batch_size, order, prefetch)


def _dataset(shard_set: ShardSet, shard_ids: list, batch_size: int, order, prefetch):
    """The tf.data pipeline around the batches of the folder's layout."""
    import tensorflow as tf

    batches, signature_of = _BATCHING[shard_set.manifest.layout]
    generate = partial(_generate, batches, shard_set, shard_ids, batch_size, order)
    signature = signature_of(shard_set.manifest, batch_size if order.drop_remainder else None)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.prefetch(tf.data.AUTOTUNE if prefetch is None else prefetch)


@contextmanager
def named_shard_errors() -> Iterator[None]:
    """Give a corrupt-shard error back its type when it comes out of a ``tf.data`` pipeline.

    tf.data re-raises an exception of ``make_dataset``'s generator as a TensorFlow error of
    its own whose message quotes the original as ``ShardIntegrityError: Shard '...' ...``;
    inside this block it is raised as :class:`ShardIntegrityError` again, naming the shard.
    """
    import tensorflow as tf

    try:
        yield
    except tf.errors.OpError as exc:
        found = _QUOTED_SHARD_ERROR.search(exc.message or "")
        if found is None:
            raise
        raise ShardIntegrityError(found["message"].strip()) from exc


_QUOTED_SHARD_ERROR = re.compile(r"ShardIntegrityError: (?P<message>[^\n]+)")


def _generate(batches, shard_set: ShardSet, shard_ids: list, batch_size: int, order):
    _keep_large_buffers_in_heap()  # again: the TF runtime, started by now, reset it
    yield from batches(shard_set, shard_ids, batch_size, order)


def _check_positive(**arguments) -> None:
    for name, value in arguments.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _worker_share(shard_set: ShardSet, batch_size: int, input_context) -> tuple[list, int]:
    """The shards (or HDF5 shard pieces) this input pipeline reads, and its batch size (per
    replica): see :func:`pipeline_share`."""
    shard_ids = list(range(len(shard_set.manifest.shards)))
    if input_context is None:
        return shard_ids, batch_size
    share = pipeline_share(
        shard_set, input_context.num_input_pipelines, input_context.input_pipeline_id
    )
    return share, input_context.get_per_replica_batch_size(batch_size)


class ShardPiece(NamedTuple):
    """Items ``start`` to ``stop - 1`` (stored order) of shard number ``shard``."""

    shard: int
    start: int
    stop: int


def item_ranges(counts: Sequence[int], pipelines: int, pipeline_id: int) -> list[ShardPiece]:
    """Pipeline ``pipeline_id``'s share of items counted ``counts`` per shard: the items,
    taken in stored order shard after shard, cut into ``pipelines`` contiguous ranges whose
    sizes differ by at most one (the first ``total % pipelines`` one larger, as
    ``numpy.array_split``), given as one piece per shard the range touches."""
    base, extra = divmod(sum(counts), pipelines)
    first = pipeline_id * base + min(pipeline_id, extra)
    last = first + base + (pipeline_id < extra)
    pieces, shard_first = [], 0
    for shard, count in enumerate(counts):
        start, stop = max(first, shard_first), min(last, shard_first + count)
        if start < stop:
            pieces.append(ShardPiece(shard, start - shard_first, stop - shard_first))
        shard_first += count
    return pieces


# what an HDF5 folder is split by between input pipelines, per layout
SPLIT_UNITS = {"segments": "segments", "windows": "windows", "sequences": "cases"}


def pipeline_share(shard_set: ShardSet, pipelines: int, pipeline_id: int) -> list:
    """What input pipeline ``pipeline_id`` of ``pipelines`` reads, disjoint from the others:
    TFRecord: the shard files ``pipeline_id::pipelines``; HDF5: a contiguous range of the
    folder's segments, windows or cases (:data:`SPLIT_UNITS`) as :class:`ShardPiece` s
    (:func:`item_ranges`). Raises ValueError when some pipeline would get nothing."""
    m = shard_set.manifest
    if m.format != "hdf5":
        if len(m.shards) < pipelines:
            raise ValueError(
                f"{shard_set.folder} has {len(m.shards)} TFRecord shard file(s), fewer than "
                f"the {pipelines} workers (input pipelines) that each read their own: lower "
                f"windowing.shard_mb to write more shards."
            )
        return list(range(len(m.shards)))[pipeline_id::pipelines]
    unit = SPLIT_UNITS[m.layout]
    counts = [getattr(shard, unit) for shard in m.shards]
    if sum(counts) < pipelines:
        raise ValueError(
            f"{shard_set.folder} has {sum(counts)} {unit}, fewer than the {pipelines} workers "
            f"(input pipelines) that each read a range of them: use fewer workers."
        )
    return item_ranges(counts, pipelines, pipeline_id)


def examples_per_pipeline(shard_set: ShardSet, pipelines: int) -> list[int]:
    """The windows (labelled sequences: cases) each of ``pipelines`` input pipelines reads,
    counted from the manifest (see :func:`pipeline_share`)."""
    m = shard_set.manifest
    unit = "cases" if shard_set.is_sequences else "windows"
    shares = [pipeline_share(shard_set, pipelines, i) for i in range(pipelines)]
    if m.format != "hdf5":
        return [sum(getattr(m.shards[s], unit) for s in share) for share in shares]
    if m.layout != "segments":  # the split unit is the window or the case itself
        return [sum(p.stop - p.start for p in share) for share in shares]
    windows_of = [[] for _ in m.shards]  # per shard, each segment's windows in stored order
    for shard, _, _, windows in m.segments:
        windows_of[shard].append(windows)
    return [sum(sum(windows_of[p.shard][p.start : p.stop]) for p in share) for share in shares]


def _batch_signature(manifest: Manifest, batch_dim: int | None):
    import tensorflow as tf

    inputs = tf.TensorSpec((batch_dim, *manifest.shapes["inputs"]), tf.float32)
    targets = tf.TensorSpec((batch_dim, *manifest.shapes["targets"]), tf.float32)
    if not (manifest.future_columns or manifest.series_index is not None):
        return inputs, targets
    side = {"inputs": inputs}
    if manifest.future_columns:
        future_shape = (batch_dim, manifest.horizon, len(manifest.future_columns))
        side["future"] = tf.TensorSpec(future_shape, tf.float32)
    if manifest.series_index is not None:
        side["series"] = tf.TensorSpec((batch_dim,), tf.int32)
    return side, targets


def past_inputs(inputs):
    """The window of past values of a batch's inputs, with or without side inputs."""
    return inputs["inputs"] if isinstance(inputs, dict) else inputs


def _case_batch_signature(manifest: SequenceManifest, batch_dim: int | None):
    import tensorflow as tf

    features = manifest.shapes["inputs"][1]
    inputs = {
        "values": tf.TensorSpec((batch_dim, None, features), tf.float32),
        "mask": tf.TensorSpec((batch_dim, None), tf.bool),
    }
    return inputs, tf.TensorSpec((batch_dim,), tf.int32)


# layout -> (batches of one input pipeline, their tf.data signature)
_BATCHING = {
    "segments": (iter_batches, _batch_signature),
    "windows": (iter_batches, _batch_signature),
    "sequences": (iter_case_batches, _case_batch_signature),
}


def _keep_large_buffers_in_heap() -> None:
    """Stop glibc from mmap-ing (and page-faulting) every multi-MB batch buffer.

    Once TensorFlow's runtime has started, glibc's threshold is back at its default (seen
    with strace: an mmap + munmap per batch part), every batch buffer costs fresh, zeroed
    pages, and cutting windows was measured 4-15x slower. Serving buffers up to 32 MiB
    (glibc's maximum) from the heap reuses freed memory. It is set again from inside the
    generator, i.e. after the runtime has started.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to tune
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
    libc.mallopt(_M_TRIM_THRESHOLD, 128 * 2**20)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
