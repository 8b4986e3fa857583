"""Stage 2 of the reader for labelled sequences: cases -> padded batches, bucketed by length.

Shuffled, cases are read from the shards (in a per-epoch seeded shard order, a few shards
interleaved) into a pool of ``pool_size * batch_size`` cases; the pool is put in a seeded
random order, sorted by length jittered by up to 10% (equal lengths stay in random order), cut
into batches of neighbouring lengths, and the batches are yielded in a seeded random order.
So each batch is padded only to its own longest case and memory is bounded by the pool.
Unshuffled, batches are consecutive cases in stored order, every case once.

A batch is ``({"values": float32 (B, T_b, F) zero-padded, "mask": bool (B, T_b)},
labels int32 (B,))``, ``T_b`` the longest case of the batch rounded up to
``order.pad_to_multiple``.

Example:
    >>> order = ReadOrder(shuffle=True, seed=1)
    >>> for inputs, labels in iter_case_batches(shard_set, [0, 1], 32, order): ...
"""

import itertools
from collections.abc import Iterator, Sequence
from functools import partial

import numpy as np

from lstm_pipeline.windows.batching import ReadOrder, epochs_in_order

CaseBatch = tuple[dict[str, np.ndarray], np.ndarray]
LENGTH_JITTER = 0.1


def iter_case_batches(
    shard_set, shard_ids: Sequence[int], batch_size: int, order: ReadOrder
) -> Iterator[CaseBatch]:
    """Padded batches of the cases in the shards ``shard_ids`` of ``shard_set`` (a
    :class:`~lstm_pipeline.windows.reader.ShardSet` of layout ``sequences``), epoch after
    epoch while ``order.repeat`` (see :func:`~lstm_pipeline.windows.batching.epochs_in_order`);
    the same ``(order.seed, epoch)`` gives the same batches."""
    one_epoch = partial(case_epoch_batches, shard_set, shard_ids, batch_size, order)
    return epochs_in_order(one_epoch, order)


def case_epoch_batches(
    shard_set, shard_ids: Sequence[int], batch_size: int, order: ReadOrder, epoch: int
) -> Iterator[CaseBatch]:
    """The batches of one epoch (see the module docstring)."""
    rng = np.random.default_rng([order.seed, epoch])
    if not order.shuffle:
        cases = shard_set.iter_items(shard_ids, 1)
        for chunk in _chunks(cases, batch_size):
            if len(chunk) == batch_size or not order.drop_remainder:
                yield pad_batch(chunk, order.pad_to_multiple)
        return
    shard_ids = [shard_ids[i] for i in rng.permutation(len(shard_ids))]
    cases = shard_set.iter_items(shard_ids, order.cycle_length)
    for pool in _chunks(cases, max(1, order.pool_size) * batch_size):
        for batch in bucket(pool, batch_size, rng, order.drop_remainder):
            yield pad_batch(batch, order.pad_to_multiple)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def bucket(
    pool: list, batch_size: int, rng: np.random.Generator, drop_remainder: bool
) -> list[list]:
    """``pool`` (cases ``(values, label, case)``) cut into batches of neighbouring lengths,
    in a random batch order. A pool that does not fill its last batch (the epoch's last
    pool) gives one smaller batch, at a random place among the length-sorted batches, or
    none with ``drop_remainder``."""
    shuffled = rng.permutation(len(pool))
    lengths = np.fromiter((len(pool[i][0]) for i in shuffled), dtype=np.int64, count=len(pool))
    # lengths jittered by up to +-LENGTH_JITTER: batches of similar lengths still, but not
    # the same cases together every epoch when one pool holds the whole split
    jittered = lengths * rng.uniform(1 - LENGTH_JITTER, 1 + LENGTH_JITTER, len(lengths))
    ordered = shuffled[np.argsort(jittered, kind="stable")]
    full, remainder = divmod(len(pool), batch_size)
    sizes = [batch_size] * full
    if remainder and not drop_remainder:
        sizes.insert(int(rng.integers(full + 1)), remainder)
    elif remainder:  # the dropped cases: a random run of neighbouring lengths
        sizes.insert(int(rng.integers(full + 1)), -remainder)
    batches, start = [], 0
    for size in sizes:
        if size > 0:
            batches.append([pool[i] for i in ordered[start : start + size]])
        start += abs(size)
    return [batches[i] for i in rng.permutation(len(batches))]


def pad_batch(cases: list, pad_to_multiple: int = 1) -> CaseBatch:
    """``cases`` (``(values, label, case)``) as one zero-padded batch with its mask."""
    lengths = np.fromiter((len(c[0]) for c in cases), dtype=np.int64, count=len(cases))
    longest = int(lengths.max()) if len(cases) else 0
    steps = -(-longest // pad_to_multiple) * pad_to_multiple
    features = cases[0][0].shape[1] if cases else 0
    values = np.zeros((len(cases), steps, features), dtype=np.float32)
    for row, (case_values, _, _) in enumerate(cases):
        values[row, : len(case_values)] = case_values
    mask = np.arange(steps) < lengths[:, None]
    labels = np.fromiter((c[1] for c in cases), dtype=np.int32, count=len(cases))
    return {"values": values, "mask": mask}, labels
