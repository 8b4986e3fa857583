"""HDF5 input: an array of sequences and an array of labels, dataset names configurable.

``data`` is ``(n, timesteps, features)``, or ``(n, timesteps)`` for univariate sequences.
``labels`` is ``(n,)`` integers or strings (bytes), or ``(n, classes)`` one-hot rows (the
label is the column index of the 1). Variable-length sequences are stored padded, with an
optional ``lengths`` dataset ``(n,)`` giving each case's true length; without it every case
has the full ``timesteps`` (NaN inside marks a missing value).

Example:
    >>> cases = read_hdf5(Path("train.h5"), Hdf5Spec(data="X", labels="y"))
"""

from pathlib import Path

import h5py
import numpy as np
from pydantic import Field

from lstm_pipeline.errors import LabelError, RawInputError, SequenceShapeError
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, check_lengths, dim_names
from lstm_pipeline.ingest.labelled.ucr_text import normalise_label
from lstm_pipeline.parameters import StrictModel

_BLOCK_CASES = 4096  # cases converted to float32 at a time


class Hdf5Spec(StrictModel):
    """Dataset names inside an HDF5 file (``ingestion.labelled.hdf5``)."""

    data: str = Field(default="data", description="(n, timesteps[, features]) sequences")
    labels: str = Field(default="labels", description="(n,) labels or (n, classes) one-hot")
    lengths: str | None = Field(default=None, description="(n,) true lengths; null: full")


def read_hdf5(path: str | Path, spec: Hdf5Spec | None = None) -> LabelledSequences:
    """Read one HDF5 file's sequences and labels.

    Args:
        path: the file.
        spec: the dataset names (defaults: ``data``, ``labels``, no ``lengths``).

    Returns:
        Its cases in stored order, each cut to its true length.
    """
    path, spec = Path(path), spec or Hdf5Spec()
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise RawInputError(f"{path} is not a readable HDF5 file ({exc}).") from None
    with handle:
        data = _dataset(handle, spec.data, path)
        n, steps, n_dims = _shape(data, path, spec.data)
        stored = _dataset(handle, spec.labels, path)
        names = stored.attrs.get("classes")
        labels = decode_labels(stored[()], n, f"{path}:{spec.labels}", names)
        lengths = _lengths(handle, spec, n, steps, path)
        values = _read_cases(data, lengths, n_dims)
    return LabelledSequences(values=values, labels=labels, dims=dim_names(n_dims), source=str(path))


def _dataset(handle: h5py.File, name: str, path: Path) -> h5py.Dataset:
    found = handle.get(name)
    if not isinstance(found, h5py.Dataset):
        names: list[str] = []
        handle.visititems(
            lambda key, obj: names.append(key) if isinstance(obj, h5py.Dataset) else None
        )
        raise RawInputError(
            f"{path} has no dataset '{name}' (it holds {names[:20]}); set "
            f"ingestion.labelled.hdf5 to the right names."
        )
    return found


def _shape(data: h5py.Dataset, path: Path, name: str) -> tuple[int, int, int]:
    """(cases, timesteps, dims) of the data array; (n, t) counts as one dimension."""
    if data.ndim not in (2, 3) or data.dtype.kind not in "fiub":
        raise SequenceShapeError(
            f"{path}:{name} has shape {data.shape} and dtype {data.dtype}; expected numbers "
            f"shaped (cases, timesteps, features) or (cases, timesteps)."
        )
    n, steps = data.shape[:2]
    return n, steps, data.shape[2] if data.ndim == 3 else 1


def _lengths(handle: h5py.File, spec: Hdf5Spec, n: int, steps: int, path: Path) -> np.ndarray:
    """Each case's true length: the ``lengths`` dataset, or ``timesteps`` for all."""
    if spec.lengths is None:
        lengths = np.full(n, steps, dtype=np.int64)
    else:
        lengths = np.asarray(_dataset(handle, spec.lengths, path)[()]).reshape(-1)
        where = f"{path}:{spec.lengths}"
        if lengths.shape != (n,) or lengths.dtype.kind not in "iu":
            raise SequenceShapeError(
                f"{where} has shape {lengths.shape} and dtype {lengths.dtype}; expected {n} "
                f"integers, one per case of '{spec.data}'."
            )
        longer = np.flatnonzero(lengths > steps)
        if longer.size:
            raise SequenceShapeError(
                f"{where}: case {longer[0]} (0-based) has length {lengths[longer[0]]}, more "
                f"than the {steps} timesteps stored in '{spec.data}'."
            )
    check_lengths(lengths, str(path))
    return lengths.astype(np.int64)


def _read_cases(data: h5py.Dataset, lengths: np.ndarray, n_dims: int) -> list[np.ndarray]:
    """float32 (length, dims) per case, converted a block of cases at a time."""
    values: list[np.ndarray] = []
    for start in range(0, len(lengths), _BLOCK_CASES):
        block = np.asarray(data[start : start + _BLOCK_CASES], dtype=np.float32)
        block = block.reshape(block.shape[0], block.shape[1], n_dims)
        for offset, case in enumerate(block):
            values.append(np.ascontiguousarray(case[: lengths[start + offset]]))
    return values


def decode_labels(raw: np.ndarray, n: int, where: str, names=None) -> np.ndarray:
    """Labels as text: integers, strings/bytes, or one-hot rows (column index of the 1, or
    the name in that column of ``names``, the labels dataset's ``classes`` attribute).

    Args:
        raw: the stored labels.
        n: the number of cases they must match.
        where: ``file:dataset`` for messages.
        names: class names of one-hot columns, or None.
    """
    raw = np.asarray(raw)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.shape[:1] != (n,) or raw.ndim > 2:
        raise LabelError(
            f"{where} has shape {raw.shape} but the data holds {n} cases; give one label "
            f"(or one one-hot row) per case."
        )
    if raw.ndim == 2:
        return _named_columns(_one_hot(raw, where), names, raw.shape[1], where)
    if raw.dtype.kind in "SO":
        text = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in raw.tolist()]
    else:
        text = [str(v) for v in raw.tolist()]
    return np.asarray([normalise_label(t) for t in text], dtype=object)


def _named_columns(columns: np.ndarray, names, width: int, where: str) -> np.ndarray:
    """One-hot column indices as class names when the file names its columns."""
    if names is None:
        return columns
    names = [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]
    if len(names) != width:
        raise LabelError(
            f"{where} names {len(names)} classes in its 'classes' attribute but its one-hot "
            f"rows have {width} columns; give one name per column."
        )
    return np.asarray([names[int(c)] for c in columns], dtype=object)


def _one_hot(rows: np.ndarray, where: str) -> np.ndarray:
    """The column index of each row's single 1; any other row is a :class:`LabelError`."""
    ones, zeros = rows == 1, rows == 0
    good = (ones.sum(axis=1) == 1) & ((ones | zeros).all(axis=1))
    if not good.all():
        case = int(np.flatnonzero(~good)[0])
        raise LabelError(
            f"{where}: case {case} (0-based) has the row {rows[case].tolist()[:20]}, which is "
            f"not one-hot (exactly one 1, every other value 0); {int((~good).sum())} such rows."
        )
    return np.asarray([str(i) for i in ones.argmax(axis=1).tolist()], dtype=object)
