"""A normalised split of labelled sequences on disk, streamed case by case.

The file is the long table the normalisation stage writes for classification: columns
``case`` (int64), ``step`` (int32), ``label`` (int32 code), then one float32 column per
feature, sorted by case and step; its pandas ``attrs`` say ``task: classification`` and
carry the ``classes`` and ``features``. It is read in row batches, so a split is never
whole in memory; a case may span batches (and row groups).

Example:
    >>> split = ParquetSequences("data/04_feature/train_series.parquet")
    >>> for case, label, values in split.iter_cases(split.columns): ...   # (length, F)
"""

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lstm_pipeline.errors import SequenceShapeError

BATCH_ROWS = 65_536
KEYS = ("case", "step", "label")
Case = tuple[int, int, np.ndarray]  # case number, label code, float32 (length, features)


def parquet_attrs(path: str | Path) -> dict:
    """The pandas ``attrs`` a Parquet file carries (``{}`` when none), from its footer."""
    metadata = pq.read_schema(path).metadata or {}
    attributes = metadata.get(b"PANDAS_ATTRS")
    return json.loads(attributes) if attributes else {}


class ParquetSequences:
    """Lazy handle on a classification split written by the normalisation pipeline.

    Attributes: ``path``, ``name`` (train, val or test), ``columns`` (the features),
    ``classes``, ``num_rows``, ``num_cases``, ``lineage``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        self._attrs = parquet_attrs(self.path)
        names = self._file.schema_arrow.names
        absent = [key for key in KEYS if key not in names]
        if absent:
            raise SequenceShapeError(
                f"'{self.path}' has no column(s) {absent}: it is not a split of labelled "
                f"sequences (columns {names}). Run the normalisation pipeline again."
            )
        stored = [n for n in names if n not in KEYS and not n.startswith("__index")]
        self.columns: list[str] = list(self._attrs.get("features") or stored)
        self.classes: list[str] = [str(c) for c in self._attrs.get("classes", [])]
        self.num_rows: int = self._file.metadata.num_rows
        self.name = self.path.name.split(".")[0].removesuffix("_series")
        self._table: pd.DataFrame | None = None

    @classmethod
    def describes(cls, path: str | Path) -> bool:
        """Whether the Parquet file at ``path`` is a split of labelled sequences (its
        ``attrs`` say ``task: classification``); reads the footer only."""
        return parquet_attrs(path).get("task") == "classification"

    @property
    def lineage(self) -> dict | None:
        """Which run made this file (pandas keeps a DataFrame's ``attrs`` in the metadata)."""
        return self._attrs.get("lineage")

    def __repr__(self) -> str:
        return (
            f"ParquetSequences('{self.path}', {self.num_rows} rows, {len(self.columns)} "
            f"feature(s), classes {self.classes})"
        )

    def iter_cases(self, columns: Sequence[str] | None = None) -> Iterator[Case]:
        """``(case, label, values)`` per case in stored order, ``values`` float32
        ``(length, len(columns))`` (``columns``: the features by default), streamed by
        row batches. Raises :class:`SequenceShapeError` naming the file and case when the
        rows of a case are not together in case order."""
        columns = list(self.columns if columns is None else columns)
        wanted = ["case", "label", *columns]
        pending = _PendingCase(self.path)
        for batch in self._file.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            cases = batch.column(0).to_numpy()
            labels = batch.column(1).to_numpy()
            values = _float_columns(batch, range(2, 2 + len(columns)), len(cases))
            starts = np.flatnonzero(np.diff(cases, prepend=cases[:1] - 1) != 0)
            ends = np.append(starts[1:], len(cases))
            for start, end in zip(starts, ends, strict=True):
                yield from pending.extend(int(cases[start]), int(labels[start]), values[start:end])
        yield from pending.finish()

    def case_table(self) -> pd.DataFrame:
        """``case``, ``label`` and ``length`` of every case, in stored order (streamed over
        the key columns only; computed once)."""
        if self._table is None:
            rows = [(case, label, len(values)) for case, label, values in self.iter_cases([])]
            self._table = pd.DataFrame(rows, columns=["case", "label", "length"]).astype(
                {"case": "int64", "label": "int32", "length": "int64"}
            )
        return self._table

    @property
    def num_cases(self) -> int:
        """How many cases the split holds."""
        return 0 if self.num_rows == 0 else len(self.case_table())

    def lengths(self) -> pd.Series:
        """The length of every case, indexed by case number, in stored order."""
        return self.case_table().set_index("case")["length"]

    def to_pandas(self) -> pd.DataFrame:
        """The whole split in memory (for small data and evaluation, never for windowing)."""
        return pd.read_parquet(self.path)


def _float_columns(batch, indices, rows: int) -> np.ndarray:
    """The columns ``indices`` of an Arrow record batch as one float32 (rows, n) array."""
    columns = [batch.column(i).to_numpy(zero_copy_only=False) for i in indices]
    if not columns:
        return np.empty((rows, 0), dtype=np.float32)
    return np.column_stack(columns).astype(np.float32, copy=False)


class _PendingCase:
    """The case being assembled from runs of rows (a case may span row batches)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._case: int | None = None
        self._label = 0
        self._parts: list[np.ndarray] = []

    def extend(self, case: int, label: int, rows: np.ndarray) -> Iterator[Case]:
        """Add a run of rows of ``case``; yields the previous case once ``case`` is new."""
        if case == self._case:
            self._parts.append(rows)
            return
        if self._case is not None and case < self._case:
            raise SequenceShapeError(
                f"'{self._path}': case {case} comes after case {self._case}; the rows must "
                f"be sorted by case and step, each case's rows together. Run the "
                f"normalisation pipeline again."
            )
        yield from self.finish()
        self._case, self._label, self._parts = case, label, [rows]

    def finish(self) -> Iterator[Case]:
        """Yield the case being assembled, if any."""
        if self._case is not None:
            parts, self._parts = self._parts, []
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            yield self._case, self._label, np.ascontiguousarray(values)
            self._case = None
