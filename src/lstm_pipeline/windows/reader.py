"""The streaming input pipeline: shard folder -> tf.data.Dataset of (inputs, targets) batches.

Two stages:
1. Shards are read interleaved (TFRecord through a parallel tf.data interleave, HDF5
   through h5py), yielding segments (or blocks of stored windows) in a seeded, per-epoch
   shuffled shard order.
2. A pool of those segments feeds batches: each batch takes windows from every segment in
   the pool (so batches mix windows across shards), picked by a per-epoch seeded
   permutation, and cut with one contiguous copy per window (see cutting.py). Prefetching
   overlaps this with training.

Example:
    >>> ds = make_dataset("data/05_model_input/train_shards", batch_size=256, seed=1)
    >>> inputs, targets = next(iter(ds))
    >>> inputs.shape, targets.shape   # (256, input_length, n_features), (256, horizon, n_targets)
"""

import ctypes
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from lstm_pipeline.windows.cutting import SegmentWindows, WindowBlock
from lstm_pipeline.windows.manifest import Manifest, read_manifest, verify_shards
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.stores import read_hdf5_items, tfrecord_items


class ShardSet:
    """A verified shard folder: the manifest plus access to its items. Holds no window data."""

    def __init__(self, folder: str | Path, verify: str = "size") -> None:
        if verify not in ("sha256", "size", "none"):
            raise ValueError(f"verify must be 'sha256', 'size' or 'none', got {verify!r}")
        self.folder = Path(folder)
        self.manifest: Manifest = read_manifest(self.folder)
        if verify != "none":
            verify_shards(self.folder, self.manifest, checksum=verify == "sha256")
        m = self.manifest
        self.spec = WindowSpec(m.input_length, m.horizon, m.offset, m.stride)

    def __repr__(self) -> str:
        m = self.manifest
        return (
            f"ShardSet('{self.folder}', {m.format}/{m.layout}, {m.windows_total} windows of "
            f"{m.shapes['inputs']} -> {m.shapes['targets']} in {len(m.shards)} shard(s))"
        )

    @property
    def windows_total(self) -> int:
        return self.manifest.windows_total

    @property
    def lineage(self) -> dict | None:
        """Which windowing run wrote these shards (see :mod:`lstm_pipeline.lineage`)."""
        return getattr(self.manifest, "lineage", None)

    def iter_items(self, shard_order: Sequence[int], cycle_length: int) -> Iterator[tuple]:
        """Stage 1: the items of the shards in ``shard_order``, ``cycle_length`` shards
        interleaved."""
        paths = [str(self.folder / self.manifest.shards[i].file) for i in shard_order]
        if not paths:
            return iter(())
        cycle = max(1, min(cycle_length, len(paths)))
        if self.manifest.format == "tfrecord":
            return self._tfrecord_items(paths, cycle).as_numpy_iterator()
        # HDF5 is read in Python, not through tf.data.from_generator: a generator nested in
        # the batch generator's py_func made the HDF5 path 3x slower (GIL ping-pong)
        layout = self.manifest.layout
        shards = (read_hdf5_items(path, layout) for path in paths)
        return _round_robin(shards, cycle)

    def _tfrecord_items(self, paths: list[str], cycle: int):
        import tensorflow as tf

        manifest = self.manifest.model_dump()
        return (
            tf.data.Dataset.from_tensor_slices(tf.constant(paths, dtype=tf.string))
            .interleave(
                lambda path: tfrecord_items(path, manifest),
                cycle_length=cycle,
                block_length=1,
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
            .prefetch(2)
        )

    def window_source(self, item) -> SegmentWindows | WindowBlock:
        m = self.manifest
        if m.layout == "segments":
            values, windows, _ = item
            return SegmentWindows(values, int(windows), self.spec, m.feature_index, m.target_index)
        inputs, targets, _ = item
        return WindowBlock(inputs, targets)

    def window_start_ns(self) -> np.ndarray:
        """Start timestamp (ns) of every window, in stored order (unshuffled reading order)."""
        m = self.manifest
        step = m.stride * m.step_ns
        if m.layout == "segments":
            parts = [start + np.arange(w, dtype=np.int64) * step for _, start, _, w in m.segments]
            return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        starts = [item[2] for item in self.iter_items(range(len(m.shards)), 1)]
        return np.concatenate(starts) if starts else np.empty(0, dtype=np.int64)


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
    shuffle: bool = True,
    seed: int = 0,
    repeat: bool = False,
    drop_remainder: bool = False,
    cycle_length: int = 4,
    pool_size: int = 8,
    input_context=None,
    verify: str = "size",
    prefetch: int | None = None,
    epoch: int = 0,
):
    """A ``tf.data.Dataset`` of ``(inputs, targets)`` batches read from a shard folder.

    Args:
        shards_dir: a shard folder (with manifest.json) or a loaded :class:`ShardSet`.
        batch_size: windows per batch (the global batch when ``input_context`` is given).
        shuffle: mix windows across segments and shards, in a new order every epoch.
            ``False`` yields every window once, in time order.
        seed: the same seed gives the same batches; another seed, another order.
        repeat: loop over epochs forever (each epoch reshuffled from ``seed``).
        drop_remainder: drop the last, smaller batch of an epoch (fixed batch shape).
        cycle_length: shards read in parallel.
        pool_size: segments whose windows are mixed into each batch.
        input_context: a ``tf.distribute.InputContext``; each input pipeline then reads
            a disjoint subset of the shards and yields per-replica batches.
        verify: check shard sizes (``"size"``), SHA-256 (``"sha256"``) or nothing.
        prefetch: batches prefetched; ``None`` lets tf.data tune it.
        epoch: index of the first epoch: its shuffle order is that epoch's, so a resumed
            run reads exactly what an uninterrupted one would.

    Returns:
        Batches of shapes ``(batch, input_length, n_features)`` and
        ``(batch, horizon, n_targets)``, float32.
    """
    import tensorflow as tf

    _keep_large_buffers_in_heap()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    shard_set = shards_dir if isinstance(shards_dir, ShardSet) else ShardSet(shards_dir, verify)
    m = shard_set.manifest
    shard_ids = list(range(len(m.shards)))
    if input_context is not None:
        pipelines, pipeline_id = input_context.num_input_pipelines, input_context.input_pipeline_id
        if len(shard_ids) < pipelines:
            raise ValueError(
                f"{shard_set.folder} has {len(shard_ids)} shard(s), fewer than the "
                f"{pipelines} input pipelines: lower windowing.shard_mb to write more shards."
            )
        shard_ids = shard_ids[pipeline_id::pipelines]
        batch_size = input_context.get_per_replica_batch_size(batch_size)

    def generate():
        _keep_large_buffers_in_heap()
        yield from _batches(
            shard_set,
            shard_ids,
            batch_size,
            shuffle,
            seed,
            repeat,
            drop_remainder,
            cycle_length,
            pool_size,
            epoch,
        )

    batch_dim = batch_size if drop_remainder else None
    signature = (
        tf.TensorSpec((batch_dim, *m.shapes["inputs"]), tf.float32),
        tf.TensorSpec((batch_dim, *m.shapes["targets"]), tf.float32),
    )
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.prefetch(tf.data.AUTOTUNE if prefetch is None else prefetch)


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


def _batches(
    shard_set: ShardSet,
    shard_ids: list[int],
    batch_size: int,
    shuffle: bool,
    seed: int,
    repeat: bool,
    drop_remainder: bool,
    cycle_length: int,
    pool_size: int,
    epoch: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    while True:
        rng = np.random.default_rng([seed, epoch])
        order = [shard_ids[i] for i in rng.permutation(len(shard_ids))] if shuffle else shard_ids
        items = shard_set.iter_items(order, cycle_length if shuffle else 1)
        pool: list[list] = []  # [source, window numbers, next position]
        capacity = pool_size if shuffle else 1
        more = True
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        filled = 0
        while True:
            while more and len(pool) < capacity:
                item = next(items, None)
                if item is None:
                    more = False
                    break
                source = shard_set.window_source(item)
                numbers = rng.permutation(source.windows) if shuffle else np.arange(source.windows)
                pool.append([source, numbers, 0])
            if not pool:
                break
            # an equal share of the batch from every segment in the pool
            share = max(1, -(-(batch_size - filled) // len(pool)))
            for entry in list(pool):
                source, numbers, position = entry
                take = min(share, len(numbers) - position, batch_size - filled)
                if take <= 0:
                    continue
                parts.append(source.take(numbers[position : position + take]))
                entry[2] += take
                filled += take
                if entry[2] == len(numbers):
                    pool.remove(entry)
            if filled == batch_size:
                yield _join(parts)
                parts, filled = [], 0
        if filled and not drop_remainder:
            yield _join(parts)
        epoch += 1
        if not repeat:
            return


def _join(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
