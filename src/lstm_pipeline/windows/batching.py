"""Stage 2 of the reader: items (segments or window blocks) -> batches of windows, in numpy.

A pool of ``pool_size`` segments from different shards feeds each batch: every segment in
the pool gives an equal share of the batch, its windows picked in a per-epoch seeded
permutation and cut with one contiguous copy each (see cutting.py). Unshuffled, the pool
holds one segment and windows come in stored (time) order.

This is the hot path of training input: the Python work per batch is a loop over the pool
(a few entries), never over windows.

Example:
    >>> order = ReadOrder(shuffle=True, seed=1)
    >>> for inputs, targets in iter_batches(shard_set, [0, 1, 2], 256, order): ...
"""

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

Batch = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ReadOrder:
    """How windows (or labelled cases) are drawn into batches; ``make_dataset``'s keywords.

    shuffle: mix windows across segments and shards, in a new order every epoch; ``False``
        yields every window once, in time order. seed: the same seed gives the same batches.
    repeat: loop over epochs, each reshuffled (``epochs`` of them, or endlessly).
    drop_remainder: drop each epoch's last, smaller batch (a fixed batch shape).
    cycle_length / pool_size: shards read in parallel / segments mixed into a batch.
    epoch: the first epoch's index (its shuffle order), so a resumed run reads what an
        uninterrupted one would.
    pad_to_multiple: labelled sequences: the batch length rounded up to a multiple (e.g. a
        chunked model's chunk length).
    epoch_steps: batches taken from each epoch (None: all); with ``repeat``, a training loop
        of that many steps per epoch reads each epoch's own order from one dataset.
    epochs: with ``repeat``, the epochs read (None: endlessly). A stream that ends with the
        training loop frees at once; an endless one still generating when its iterator is
        dropped was seen to hold ``fit`` for seconds on return.
    """

    shuffle: bool = True
    seed: int = 0
    repeat: bool = False
    drop_remainder: bool = False
    cycle_length: int = 4
    pool_size: int = 8
    epoch: int = 0
    pad_to_multiple: int = 1
    epoch_steps: int | None = None
    epochs: int | None = None


def epochs_in_order(one_epoch, order: ReadOrder) -> Iterator:
    """The batches of ``one_epoch(epoch)`` from ``order.epoch`` on, epoch after epoch while
    ``order.repeat`` (for ``order.epochs`` epochs, or endlessly), each epoch cut to
    ``order.epoch_steps`` batches. Raises
    ``RuntimeError`` when an epoch gives fewer: a training loop counting ``epoch_steps``
    batches per epoch would silently start the next epoch's order early."""
    epoch = order.epoch
    while True:
        taken = 0
        for batch in itertools.islice(one_epoch(epoch), order.epoch_steps):
            taken += 1
            yield batch
        if order.epoch_steps is not None and taken < order.epoch_steps:
            raise RuntimeError(
                f"epoch {epoch} gave {taken} batches, fewer than epoch_steps {order.epoch_steps}"
            )
        epoch += 1
        if not order.repeat or (order.epochs and epoch >= order.epoch + order.epochs):
            return


def iter_batches(
    shard_set, shard_ids: Sequence[int], batch_size: int, order: ReadOrder
) -> Iterator[Batch]:
    """``(inputs, targets)`` batches of the windows in the shards ``shard_ids`` of
    ``shard_set`` (a :class:`~lstm_pipeline.windows.reader.ShardSet`), epoch after epoch
    while ``order.repeat`` (see :func:`epochs_in_order`). Raises what reading the shards raises
    (:class:`~lstm_pipeline.errors.ShardIntegrityError` for a corrupt shard)."""
    return epochs_in_order(partial(epoch_batches, shard_set, shard_ids, batch_size, order), order)


def epoch_batches(
    shard_set, shard_ids: Sequence[int], batch_size: int, order: ReadOrder, epoch: int
) -> Iterator[Batch]:
    """The batches of one epoch; the same ``(order.seed, epoch)`` gives the same batches."""
    rng = np.random.default_rng([order.seed, epoch])
    if order.shuffle:
        shard_ids = [shard_ids[i] for i in rng.permutation(len(shard_ids))]
    items = shard_set.iter_items(shard_ids, order.cycle_length if order.shuffle else 1)
    pool = WindowPool(shard_set, items, rng, order)
    batch = BatchBuilder(batch_size)
    while pool.refill():
        pool.deal(batch)
        if batch.full:
            yield batch.pop()
    if batch.filled and not order.drop_remainder:
        yield batch.pop()


class BatchBuilder:
    """The parts of the batch being filled."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.filled = 0
        self._parts: list[Batch] = []

    @property
    def free(self) -> int:
        """Places left in the batch."""
        return self.size - self.filled

    @property
    def full(self) -> bool:
        """Whether the batch has ``size`` windows."""
        return self.filled == self.size

    def add(self, part: Batch, windows: int) -> None:
        """Append ``part``, an (inputs, targets) pair of ``windows`` windows."""
        self._parts.append(part)
        self.filled += windows

    def pop(self) -> Batch:
        """The batch (one array pair), emptying the builder."""
        parts, self._parts, self.filled = self._parts, [], 0
        if len(parts) == 1:
            return parts[0]
        return _joined([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _joined(inputs: list):
    """The inputs of several parts as one: arrays, or dicts of arrays (side inputs)."""
    if isinstance(inputs[0], dict):
        return {key: np.concatenate([part[key] for part in inputs]) for key in inputs[0]}
    return np.concatenate(inputs)


class WindowPool:
    """Segments (or window blocks) whose windows are being dealt out: for each, its windows
    in drawing order and how many have been dealt."""

    def __init__(self, shard_set, items: Iterator, rng: np.random.Generator, order: ReadOrder):
        self._shard_set, self._items, self._rng = shard_set, items, rng
        self._shuffle = order.shuffle
        self._capacity = order.pool_size if order.shuffle else 1
        self._entries: list[list] = []  # [source, window numbers, next position]
        self._more = True

    def refill(self) -> bool:
        """Top the pool up from the items; returns whether any windows are left."""
        while self._more and len(self._entries) < self._capacity:
            item = next(self._items, None)
            if item is None:
                self._more = False
                break
            source = self._shard_set.window_source(item)
            count = source.windows
            numbers = self._rng.permutation(count) if self._shuffle else np.arange(count)
            self._entries.append([source, numbers, 0])
        return bool(self._entries)

    def deal(self, batch: BatchBuilder) -> None:
        """An equal share of the batch's free places from every entry; spent ones leave."""
        share = max(1, -(-batch.free // len(self._entries)))
        for entry in list(self._entries):
            source, numbers, position = entry
            take = min(share, len(numbers) - position, batch.free)
            if take <= 0:
                continue
            batch.add(source.take(numbers[position : position + take]), take)
            entry[2] += take
            if entry[2] == len(numbers):
                self._entries.remove(entry)
