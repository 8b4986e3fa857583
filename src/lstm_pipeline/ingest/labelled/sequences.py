"""Labelled sequences in memory, the one type every labelled-input reader returns."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from lstm_pipeline.errors import SequenceShapeError


@dataclass
class LabelledSequences:
    """The cases of one file (or one split), in file order.

    Attributes:
        values: one float32 ``(length, n_dims)`` array per case; NaN marks a missing value.
        labels: object array of ``str``, one per case (a one-hot row becomes the index of
            its 1 as text).
        dims: the dimension names (``dim_0``.. where the source has none).
        source: the file read, for messages.
    """

    values: list[np.ndarray]
    labels: np.ndarray
    dims: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.values)

    def lengths(self) -> np.ndarray:
        """The number of steps of each case (int64)."""
        return np.fromiter((len(v) for v in self.values), dtype=np.int64, count=len(self.values))

    def missing_count(self) -> int:
        """How many values are missing (NaN) over every case and dimension."""
        return int(sum(np.count_nonzero(np.isnan(v)) for v in self.values))


def dim_names(n_dims: int) -> list[str]:
    """The default dimension names: ``dim_0``, ``dim_1``, ..."""
    return [f"dim_{i}" for i in range(n_dims)]


def check_lengths(lengths: np.ndarray, source: str, where: list[str] | None = None) -> None:
    """Refuse a case of length 0, naming the file and the (0-based) case.

    Args:
        lengths: the length of each case.
        source: the file, for the message.
        where: optional text per case (e.g. ``"line 20"``) added to the message.
    """
    empty = np.flatnonzero(np.asarray(lengths) == 0)
    if empty.size:
        case = int(empty[0])
        extra = f", {where[case]}" if where is not None else ""
        raise SequenceShapeError(
            f"{source}: case {case} (0-based{extra}) has length 0; every sequence needs at "
            f"least one step ({empty.size} such case(s)). Remove the case or fix the file."
        )


def concat(parts: list[LabelledSequences], source: str) -> LabelledSequences:
    """Join several files' cases (same dimensions) into one, in order."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    for part in parts[1:]:
        if part.dims != first.dims:
            raise SequenceShapeError(
                f"{part.source} has dimensions {part.dims} but {first.source} has "
                f"{first.dims}; files of one split must have the same dimensions."
            )
    return LabelledSequences(
        values=[v for part in parts for v in part.values],
        labels=np.concatenate([part.labels for part in parts]).astype(object),
        dims=list(first.dims),
        source=source,
    )


def to_frame(splits: dict[str, LabelledSequences], classes: list[str]) -> pd.DataFrame:
    """The long table of every split: one row per (case, step), sorted by split, case, step.

    Args:
        splits: split name -> its cases (every split with the same dims).
        classes: the class names, stored in ``attrs``.

    Returns:
        Columns ``split`` (str), ``case`` (int64), ``step`` (int32), ``label`` (str), then
        one float32 column per dim; ``attrs = {"task", "dims", "classes"}``.
    """
    dims = next(iter(splits.values())).dims
    parts = [_split_frame(name, splits[name], dims) for name in sorted(splits)]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame.attrs = {"task": "classification", "dims": list(dims), "classes": list(classes)}
    return frame


def _split_frame(name: str, cases: LabelledSequences, dims: list[str]) -> pd.DataFrame:
    """One split's rows, built with whole-array operations."""
    lengths = cases.lengths()
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    block = np.concatenate(cases.values) if total else np.empty((0, len(dims)), np.float32)
    case = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    names, label_codes = np.unique(cases.labels.astype(str), return_inverse=True)
    columns = {
        "split": text_column([name], np.zeros(total, dtype=np.int32)),
        "case": case,
        "step": (np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)).astype(np.int32),
        "label": text_column(names.tolist(), label_codes[case]),
    }
    columns.update({dim: block[:, i].astype(np.float32) for i, dim in enumerate(dims)})
    return pd.DataFrame(columns)


def text_column(names: list[str], codes: np.ndarray) -> pd.Series:
    """A ``str`` column from a few distinct values and a code per row (built by Arrow, no
    Python object per row)."""
    array = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names))
    return pd.Series(array.cast(pa.string()), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
