"""Cut windows out of a segment in one vectorised copy per batch.

A strided view presents a segment of shape (rows, columns) as (windows, input_length,
columns) without copying; indexing the view with a batch of start rows copies each window
as one contiguous block. That is several times faster than gathering row by row.
(Never ``np.take`` on the view: it would first copy the whole view, every window of it.)
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lstm_pipeline.windows.spec import WindowSpec


class SegmentWindows:
    """The windows of one segment, addressable by window number (0 .. windows-1)."""

    def __init__(
        self,
        values: np.ndarray,
        windows: int,
        spec: WindowSpec,
        feature_index: list[int],
        target_index: list[int],
    ) -> None:
        values = np.ascontiguousarray(values, dtype=np.float32)
        rows, columns = values.shape
        if rows < spec.rows_for(windows):
            raise ValueError(f"a segment of {rows} rows cannot hold {windows} windows of {spec}")
        self.windows = windows
        self._spec = spec
        # features as a strided view when they are the leading columns (the stored layout)
        n_features = len(feature_index)
        if feature_index == list(range(n_features)):
            features = values[:, :n_features]
        else:
            features = np.ascontiguousarray(values[:, feature_index])
        item = features.itemsize
        row_step = features.strides[0]
        self._inputs = as_strided(
            features,
            shape=(rows - spec.input_length + 1, spec.input_length, n_features),
            strides=(row_step, row_step, item),
            writeable=False,
        )
        targets = np.ascontiguousarray(values[:, target_index])
        self._targets = as_strided(
            targets,
            shape=(rows - spec.horizon + 1, spec.horizon, len(target_index)),
            strides=(targets.strides[0], targets.strides[0], targets.itemsize),
            writeable=False,
        )

    def take(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (n, input_length, features) and targets (n, horizon, targets) of windows."""
        starts = np.asarray(numbers, dtype=np.int64) * self._spec.stride
        return self._inputs[starts], self._targets[starts + self._spec.target_shift]


class WindowBlock:
    """Windows stored one by one (the ``windows`` layout), with the same interface."""

    def __init__(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        self._inputs, self._targets = inputs, targets
        self.windows = len(inputs)

    def take(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of the windows ``numbers`` (row numbers in the block)."""
        return self._inputs[numbers], self._targets[numbers]
