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
    """The windows of one segment, addressable by window number (0 .. windows-1).

    With ``future_index`` (columns known ahead, e.g. calendar features) each window also
    gives those columns over its target steps; with ``series_index`` (the series code
    column) the code of its series. :meth:`take` then returns the inputs as a dict, as the
    model takes them (see :mod:`lstm_pipeline.models.side`).
    """

    def __init__(
        self,
        values: np.ndarray,
        windows: int,
        spec: WindowSpec,
        feature_index: list[int],
        target_index: list[int],
        future_index: list[int] = (),
        series_index: int | None = None,
    ) -> None:
        values = np.ascontiguousarray(values, dtype=np.float32)
        if len(values) < spec.rows_for(windows):
            raise ValueError(
                f"a segment of {len(values)} rows cannot hold {windows} windows of {spec}"
            )
        self.windows = windows
        self._spec = spec
        n_features = len(feature_index)
        if feature_index == list(range(n_features)):  # a strided view of the stored layout
            features = values[:, :n_features]
        else:
            features = np.ascontiguousarray(values[:, feature_index])
        self._inputs = _steps_view(features, spec.input_length)
        self._targets = _steps_view(np.ascontiguousarray(values[:, target_index]), spec.horizon)
        self._future = None
        if len(future_index):
            future = np.ascontiguousarray(values[:, list(future_index)])
            self._future = _steps_view(future, spec.horizon)
        self._codes = None if series_index is None else values[:, series_index].astype(np.int32)

    def take(self, numbers: np.ndarray) -> tuple:
        """Inputs (n, input_length, features) and targets (n, horizon, targets) of windows;
        with side inputs, the inputs are ``{"inputs", "future", "series"}``."""
        starts = np.asarray(numbers, dtype=np.int64) * self._spec.stride
        inputs = self._inputs[starts]
        targets = self._targets[starts + self._spec.target_shift]
        if self._future is None and self._codes is None:
            return inputs, targets
        side = {"inputs": inputs}
        if self._future is not None:
            side["future"] = self._future[starts + self._spec.target_shift]
        if self._codes is not None:
            side["series"] = self._codes[starts + self._spec.input_length - 1]
        return side, targets


def _steps_view(columns: np.ndarray, steps: int) -> np.ndarray:
    """(rows, n) contiguous-rows array -> a read-only (rows - steps + 1, steps, n) view whose
    entry i is rows i .. i + steps - 1; no copy."""
    rows, n = columns.shape
    row_step = columns.strides[0]
    return as_strided(
        columns,
        shape=(rows - steps + 1, steps, n),
        strides=(row_step, row_step, columns.itemsize),
        writeable=False,
    )


class WindowBlock:
    """Windows stored one by one (the ``windows`` layout), with the same interface."""

    def __init__(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        self._inputs, self._targets = inputs, targets
        self.windows = len(inputs)

    def take(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of the windows ``numbers`` (row numbers in the block)."""
        return self._inputs[numbers], self._targets[numbers]
