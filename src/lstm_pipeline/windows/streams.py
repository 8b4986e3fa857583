"""Truncated-BPTT input: a split's rows as B contiguous streams, read chunk by chunk.

The classic "batchify" layout: the split (as stored in a ``segments`` shard folder, overlaps
removed) is cut into ``streams`` equal, contiguous streams; batch i holds chunk i of every
stream, so row r of consecutive batches continues stream r. Each stream has its own cursor
over the shards holding at most one segment, so memory does not grow with the series.

For a chunk starting at row p, inputs are rows p .. p+C-1 (features) and the targets of
step u are rows u+1+offset .. u+offset+horizon (target columns): shape (C, horizon, targets),
the same alignment as a window whose last input step is u.

Rows left missing by ingestion are not stored; a stream runs straight across such a gap.
"""

from collections.abc import Iterator

import numpy as np

from lstm_pipeline.errors import WindowingError
from lstm_pipeline.timegrid import TimeGrid
from lstm_pipeline.windows.reader import ShardSet


class StreamLayout:
    """How a ``segments`` shard folder is read as ``streams`` contiguous streams in chunks of
    ``chunk_length`` steps. Raises WindowingError when the folder has another layout or
    holds no complete chunk."""

    def __init__(self, shard_set: ShardSet, chunk_length: int, streams: int) -> None:
        m = shard_set.manifest
        if m.layout != "segments":
            raise WindowingError(
                f"Truncated BPTT reads contiguous series from 'segments' shards; "
                f"'{shard_set.folder}' has layout '{m.layout}'. Set windowing.layout: segments."
            )
        many = getattr(m, "series_windows", None) or []
        if len(many) > 1:  # streams would run from one series into the next
            raise WindowingError(
                f"Truncated BPTT reads one contiguous series; '{shard_set.folder}' holds "
                f"{len(many)} series ({', '.join(name for name, _ in many)}). Train many "
                f"series on windows: set training.tbptt.enabled: false."
            )
        if chunk_length < 1 or streams < 1:
            raise WindowingError(
                f"training.tbptt.chunk_length ({chunk_length}) and streams ({streams}) must be "
                f"positive"
            )
        self.shard_set, self.chunk_length, self.streams = shard_set, chunk_length, streams
        self.lookahead = m.offset + m.horizon
        self._new_rows = _new_rows_per_segment(m.segments, m.grid)
        self._first_row = np.concatenate([[0], np.cumsum([n for _, n in self._new_rows])])
        self.total_rows = int(self._first_row[-1])
        self.stream_rows = self.total_rows // streams
        self.chunks = (self.stream_rows - self.lookahead) // chunk_length
        if self.chunks < 1:
            raise WindowingError(
                f"'{shard_set.folder}' holds {self.total_rows} rows: {streams} streams of "
                f"{self.stream_rows} rows leave no chunk of {chunk_length} steps plus "
                f"{self.lookahead} target steps. Lower training.tbptt.streams or "
                f"training.tbptt.chunk_length."
            )
        segments_before = np.cumsum([0, *[s.segments for s in m.shards]])
        self._shard_of_segment = (
            np.searchsorted(segments_before, np.arange(len(m.segments)), "right") - 1
        )
        self._segments_before = segments_before

    @property
    def rows_per_epoch(self) -> int:
        """Input rows fed per epoch, all streams together."""
        return self.chunks * self.chunk_length * self.streams

    def batches(self, skip: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(inputs (B, C, features), targets (B, C, horizon, n_targets))`` for every
        chunk in order, after ``skip`` chunks (cursors advanced, nothing cut for them)."""
        m = self.shard_set.manifest
        cursors = [self._cursor(b * self.stream_rows) for b in range(self.streams)]
        features, targets = np.asarray(m.feature_index), np.asarray(m.target_index)
        c, first_target = self.chunk_length, 1 + m.offset
        for chunk in range(self.chunks):
            blocks = [next(cursor) for cursor in cursors]
            if chunk < skip:
                continue
            values = np.stack(blocks)  # (B, C + lookahead, columns)
            future = values[:, first_target:, :][:, :, targets]  # (B, C+horizon-1, T)
            windows = np.lib.stride_tricks.sliding_window_view(future, m.horizon, axis=1)
            yield (
                np.ascontiguousarray(values[:, :c][:, :, features]),
                np.ascontiguousarray(windows[:, :c].transpose(0, 1, 3, 2)),
            )

    def _cursor(self, start_row: int) -> Iterator[np.ndarray]:
        """Blocks of C + lookahead rows from ``start_row``, stepping C rows."""
        need, step = self.chunk_length + self.lookahead, self.chunk_length
        buffer = np.empty((0, len(self.shard_set.manifest.columns)), np.float32)
        for block in self._rows_from(start_row):
            buffer = np.concatenate([buffer, block]) if len(buffer) else block
            while len(buffer) >= need:
                yield buffer[:need]
                buffer = buffer[step:]

    def _rows_from(self, start_row: int) -> Iterator[np.ndarray]:
        first = int(np.searchsorted(self._first_row, start_row, "right") - 1)
        shard = int(self._shard_of_segment[first])
        items = self.shard_set.iter_items(range(shard, len(self.shard_set.manifest.shards)), 1)
        for number, item in enumerate(items, start=int(self._segments_before[shard])):
            if number < first:
                continue
            skip, count = self._new_rows[number]
            values = np.asarray(item[0])[skip : skip + count]
            if number == first:
                values = values[start_row - int(self._first_row[first]) :]
            yield values


def _new_rows_per_segment(segments, grid: TimeGrid) -> list[tuple[int, int]]:
    """(rows to skip, rows to keep) per segment: consecutive segments overlap."""
    result, previous_end = [], None
    for _, start_ns, rows, _ in segments:
        overlap = 0
        if previous_end is not None and start_ns < previous_end:
            overlap = grid.steps_between(start_ns, previous_end)
        result.append((int(overlap), int(rows - overlap)))
        previous_end = int(grid.advance(start_ns, [rows])[0])
    return result


def stream_dataset(layout: StreamLayout, skip: int = 0):
    """A ``tf.data.Dataset`` of the layout's batches (fixed batch shape), prefetched."""
    import tensorflow as tf

    m = layout.shard_set.manifest
    b, c = layout.streams, layout.chunk_length
    signature = (
        tf.TensorSpec((b, c, len(m.feature_index)), tf.float32),
        tf.TensorSpec((b, c, m.horizon, len(m.target_index)), tf.float32),
    )
    dataset = tf.data.Dataset.from_generator(
        lambda: layout.batches(skip), output_signature=signature
    )
    return dataset.prefetch(2)
