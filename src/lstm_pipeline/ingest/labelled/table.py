"""A long table of labelled sequences (CSV, compressed CSV or Parquet).

One row per (sequence, step): a sequence id column, an order column (numbers or
timestamps), feature columns, and the label either in a column of the table (the same on
every row of a sequence) or in a separate id-to-label file (CSV or Parquet with the id
column and the label column). Cases are numbered in order of first appearance of their id.

Example:
    >>> cases = read_table(Path("walks.csv"), TableSpec(id_column="walk", order_column="t"))
"""

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from lstm_pipeline.errors import (
    ColumnNotFoundError,
    LabelError,
    NonNumericValueError,
    RawInputError,
)
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences
from lstm_pipeline.ingest.labelled.ucr_text import normalise_label
from lstm_pipeline.parameters import StrictModel


class TableSpec(StrictModel):
    """Column names of a long table (``ingestion.labelled.table``)."""

    id_column: str = Field(default="id", description="sequence id")
    order_column: str = Field(default="step", description="step number or timestamp")
    features: list[str] | None = Field(default=None, description="null: every numeric column")
    label_column: str = Field(default="label", description="in the table or the labels file")


def read_table(
    path: str | Path,
    spec: TableSpec | None = None,
    labels_file: str | Path | None = None,
    missing_markers: list[str] | tuple[str, ...] = ("", "NaN", "NA", "?"),
) -> LabelledSequences:
    """Read one long table into labelled sequences.

    Args:
        path: the table (``.csv[.gz|.xz|.zst|.bz2]``, ``.parquet``, ``.pq``).
        spec: its column names.
        labels_file: a table of ``id_column`` -> ``label_column``; None: the label is a
            column of the table.
        missing_markers: text that means "missing" in a CSV.

    Returns:
        One case per id, steps in order of the order column, dims = the feature columns.
    """
    path, spec = Path(path), spec or TableSpec()
    frame = load_table(path, missing_markers)
    label_in_table = labels_file is None
    wanted = [spec.id_column, spec.order_column] + ([spec.label_column] if label_in_table else [])
    features = _features(frame, spec, wanted, path)
    codes, ids = _case_codes(frame[spec.id_column], path, spec.id_column)
    order = np.lexsort((_order_key(frame[spec.order_column], path, spec.order_column), codes))
    _check_unique_steps(frame, order, codes, spec, path)
    counts = np.bincount(codes, minlength=len(ids))
    block = frame[features].to_numpy(dtype=np.float32)[order]
    values = np.split(block, np.cumsum(counts)[:-1])
    if label_in_table:
        labels = _labels_from_column(frame[spec.label_column], codes, ids, path, spec)
    else:
        labels = _labels_from_file(Path(labels_file), ids, spec, missing_markers)
    return LabelledSequences(values=values, labels=labels, dims=features, source=str(path))


def load_table(path: Path, missing_markers) -> pd.DataFrame:
    """The whole table (CSV text columns stay text; ids and labels are never parsed)."""
    try:
        if path.name.lower().endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        return pd.read_csv(path, na_values=list(missing_markers), keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RawInputError(f"{path} cannot be read as a table: {exc}") from None


def _features(frame: pd.DataFrame, spec: TableSpec, wanted: list[str], path: Path) -> list[str]:
    """The feature columns (given, or every numeric column not otherwise used), checked."""
    features = spec.features
    if features is None:
        features = [
            c
            for c in frame.columns
            if c not in wanted
            and c != spec.label_column
            and pd.api.types.is_numeric_dtype(frame[c])
        ]
    missing = [c for c in wanted + list(features) if c not in frame.columns]
    if missing or not features:
        raise ColumnNotFoundError(
            f"{path}: column(s) {missing or 'for features'} not found; the table has "
            f"{list(frame.columns)}. Set ingestion.labelled.table to its column names."
        )
    for column in features:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            parsed = pd.to_numeric(frame[column], errors="coerce")
            row = int(np.flatnonzero(parsed.isna() & frame[column].notna())[0])
            raise NonNumericValueError(
                f"{path}: column '{column}' row {row + 1} (1-based, after the header) holds "
                f"{frame[column].iloc[row]!r}, which is not a number; add it to "
                f"ingestion.missing_markers if it means 'missing'."
            )
    return list(features)


def _case_codes(ids: pd.Series, path: Path, column: str) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row, numbered by first appearance; a missing id is an error."""
    codes, uniques = pd.factorize(ids, sort=False)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise RawInputError(f"{path}: row {row + 1} has no '{column}' (sequence id).")
    return codes.astype(np.int64), pd.Index(uniques)


def _order_key(column: pd.Series, path: Path, name: str) -> np.ndarray:
    """Numbers as they are; anything else parsed as timestamps (int64 ns)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        key = column
    else:
        try:
            key = pd.to_datetime(column, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise RawInputError(
                f"{path}: order column '{name}' is neither numbers nor ISO 8601 timestamps ({exc})."
            ) from None
    key = key.to_numpy()
    if pd.isna(key).any():
        row = int(np.flatnonzero(pd.isna(key))[0])
        raise RawInputError(f"{path}: row {row + 1} has no value in order column '{name}'.")
    return key.astype(np.int64) if key.dtype.kind == "M" else key


def _check_unique_steps(frame, order, codes, spec: TableSpec, path: Path) -> None:
    """Two rows of one sequence at the same order value cannot be told apart."""
    keys = frame[spec.order_column].to_numpy()[order]
    same = (np.diff(codes[order]) == 0) & (keys[1:] == keys[:-1])
    if same.any():
        row = int(order[np.flatnonzero(same)[0] + 1])
        raise RawInputError(
            f"{path}: sequence {frame[spec.id_column].iloc[row]!r} has two rows at "
            f"{spec.order_column} = {keys[np.flatnonzero(same)[0]]} (row {row + 1}); each "
            f"step of a sequence needs its own order value."
        )


def _labels_from_column(column, codes, ids, path: Path, spec: TableSpec) -> np.ndarray:
    """One label per case; it must be the same on every row of the case."""
    if column.isna().any():
        row = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise LabelError(f"{path}: row {row + 1} has no '{spec.label_column}' (label).")
    text = column.astype(str).to_numpy()
    first = np.zeros(len(ids), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # first row of each case
    differs = np.flatnonzero(text != text[first[codes]])
    if differs.size:
        row = int(differs[0])
        raise LabelError(
            f"{path}: sequence {ids[codes[row]]!r} (case {codes[row]}, 0-based) has label "
            f"{text[row]!r} on row {row + 1} but {text[first[codes[row]]]!r} on row "
            f"{first[codes[row]] + 1}; a sequence has one label."
        )
    return np.asarray([normalise_label(t) for t in text[first]], dtype=object)


def _labels_from_file(path: Path, ids: pd.Index, spec: TableSpec, missing_markers) -> np.ndarray:
    """Look each case's id up in the id-to-label table."""
    table = load_table(path, missing_markers)
    absent = [c for c in (spec.id_column, spec.label_column) if c not in table.columns]
    if absent:
        raise ColumnNotFoundError(
            f"labels file {path} lacks column(s) {absent}; it has {list(table.columns)}."
        )
    repeated = table[spec.id_column].astype(str).duplicated()
    if repeated.any():
        twice = table[spec.id_column][repeated].iloc[0]
        raise LabelError(f"labels file {path}: id {twice!r} appears more than once.")
    keys = table[spec.id_column].astype(str).to_numpy()
    lookup = pd.Series(table[spec.label_column].astype(str).to_numpy(), index=keys)
    wanted = ids.astype(str)
    found = wanted.isin(lookup.index)
    if not found.all():
        case = int(np.flatnonzero(~found)[0])
        raise LabelError(
            f"labels file {path} has no label for sequence {ids[case]!r} (case {case}, "
            f"0-based) and {int((~found).sum()) - 1} more."
        )
    return np.asarray([normalise_label(t) for t in lookup.loc[wanted].tolist()], dtype=object)
