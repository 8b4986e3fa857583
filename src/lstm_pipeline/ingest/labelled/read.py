"""Choose the reader for each labelled file, assign files to splits, read them all.

The format comes from ``ingestion.labelled.format``: ``auto`` picks it from the file name
(``.ts``; ``.tsv``/``.txt``; ``.h5``/``.hdf5``; ``.csv[.gz|.xz|.zst|.bz2]``/``.parquet``/``.pq``
as a long table), or one format is named for every file. Files whose names match
``train_pattern``/``test_pattern`` (default ``*_TRAIN.*``/``*_TEST.*``, the archive's names)
form the train and test splits and other files are ignored (listed in the report); a single
file, or a folder with no such names, forms the split ``all``.

Example:
    >>> splits, report = read_labelled_splits(files, LabelledSpec())
    >>> {name: len(cases) for name, cases in splits.items()}
    {'train': 50, 'test': 150}
"""

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from lstm_pipeline.errors import RawInputError, SequenceShapeError
from lstm_pipeline.ingest.labelled.filling import FillPolicy
from lstm_pipeline.ingest.labelled.hdf5 import Hdf5Spec, read_hdf5
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, concat
from lstm_pipeline.ingest.labelled.table import TableSpec, read_table
from lstm_pipeline.ingest.labelled.ts import read_ts
from lstm_pipeline.ingest.labelled.ucr_text import read_ucr_text
from lstm_pipeline.parameters import StrictModel

LabelledFormat = Literal["auto", "ts", "ucr_text", "hdf5", "table"]
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "ts": (".ts",),
    "ucr_text": (".tsv", ".txt"),
    "hdf5": (".h5", ".hdf5"),
    "table": (".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".csv.bz2", ".parquet", ".pq"),
}
LABELLED_SUFFIXES: tuple[str, ...] = tuple(s for group in FORMAT_SUFFIXES.values() for s in group)
SPLIT_ORDER = ("train", "test", "all")


class LabelledSpec(StrictModel):
    """How labelled sequences are read (``ingestion.labelled``; classification only)."""

    format: LabelledFormat = "auto"
    train_pattern: str = Field(default="*_TRAIN.*", description="file names of the train split")
    test_pattern: str = Field(default="*_TEST.*", description="file names of the test split")
    hdf5: Hdf5Spec = Field(default_factory=Hdf5Spec)
    table: TableSpec = Field(default_factory=TableSpec)
    labels_file: str | None = Field(
        default=None, description="long tables: id -> label file (beside the data or a path)"
    )
    missing: FillPolicy = "interpolate"


def file_format(path: Path, declared: LabelledFormat = "auto") -> str:
    """The reader for ``path``: the declared format, or the one its suffix says."""
    if declared != "auto":
        return declared
    name = path.name.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if name.endswith(suffixes):
            return fmt
    raise RawInputError(
        f"{path}: cannot tell the format from the name; expected one of {LABELLED_SUFFIXES} "
        f"or set ingestion.labelled.format."
    )


def read_labelled_file(
    path: Path, spec: LabelledSpec, missing_markers=("", "NaN", "NA", "?")
) -> LabelledSequences:
    """Read one file with the reader its format names."""
    fmt = file_format(path, spec.format)
    if fmt == "ts":
        return read_ts(path)
    if fmt == "ucr_text":
        return read_ucr_text(path)
    if fmt == "hdf5":
        return read_hdf5(path, spec.hdf5)
    labels_file = resolve_labels_file(spec.labels_file, path.parent)
    return read_table(path, spec.table, labels_file, missing_markers)


def resolve_labels_file(name: str | None, folder: Path) -> Path | None:
    """The labels file: as given when it exists, else beside the data."""
    if name is None:
        return None
    given = Path(name)
    path = given if given.exists() or given.is_absolute() else folder / given
    if not path.exists():
        raise RawInputError(
            f"labels file '{name}' not found (looked at '{given}' and '{folder / given}'); "
            f"set ingestion.labelled.labels_file to an existing file."
        )
    return path


def assign_splits(files: list[Path], spec: LabelledSpec) -> tuple[dict[str, list[Path]], list[str]]:
    """Group the files into splits by name; return the splits and the files left out."""
    labels_file = resolve_labels_file(spec.labels_file, files[0].parent) if files else None
    wanted = FORMAT_SUFFIXES.get(spec.format, LABELLED_SUFFIXES)
    usable = [
        f
        for f in files
        if f.name.lower().endswith(wanted)
        and not (labels_file and f.resolve() == labels_file.resolve())
    ]
    ignored = [str(f) for f in files if f not in usable]
    train = [f for f in usable if fnmatchcase(f.name, spec.train_pattern)]
    test = [f for f in usable if fnmatchcase(f.name, spec.test_pattern)]
    if set(train) & set(test):
        raise RawInputError(
            f"{sorted(set(train) & set(test))[0]} matches both train_pattern "
            f"'{spec.train_pattern}' and test_pattern '{spec.test_pattern}'."
        )
    if len(usable) == 1 or (not train and not test):
        if not usable:
            raise RawInputError(
                f"no labelled data file among {[str(f) for f in files]}; "
                f"expected names ending in {wanted}."
            )
        return {"all": usable}, ignored
    if not train or not test:
        found, lacking = ("train", "test") if train else ("test", "train")
        raise RawInputError(
            f"found {found} files {[str(f) for f in (train or test)]} but no {lacking} file "
            f"(pattern '{getattr(spec, lacking + '_pattern')}'); give both, or neither "
            f"(split 'all')."
        )
    ignored += [str(f) for f in usable if f not in train and f not in test]
    return {"train": train, "test": test}, ignored


def read_labelled_splits(
    files: list[Path], spec: LabelledSpec, missing_markers=("", "NaN", "NA", "?")
) -> tuple[dict[str, LabelledSequences], dict]:
    """Read every file of every split.

    Returns:
        The cases per split (files of one split joined in name order) and the read report.
    """
    groups, ignored = assign_splits(files, spec)
    splits, file_rows = {}, {}
    for split, paths in groups.items():
        parts = [read_labelled_file(p, spec, missing_markers) for p in paths]
        splits[split] = concat(parts, ", ".join(str(p) for p in paths))
        starts = np.cumsum([0] + [len(p) for p in parts])[:-1]
        file_rows[split] = [
            {
                "path": str(p),
                "format": file_format(p, spec.format),
                "cases": len(part),
                "first_case": int(start),
            }
            for p, part, start in zip(paths, parts, starts, strict=True)
        ]
    check_same_dims(splits)
    return splits, read_report(splits, file_rows, ignored)


def check_same_dims(splits: dict[str, LabelledSequences]) -> None:
    """Every split has the same dimensions (number and names)."""
    items = list(splits.items())
    for split, cases in items[1:]:
        first_split, first = items[0]
        if cases.dims != first.dims:
            raise SequenceShapeError(
                f"{cases.source} ({split}) has {len(cases.dims)} dimension(s) {cases.dims[:12]} "
                f"but {first.source} ({first_split}) has {len(first.dims)} {first.dims[:12]}; "
                f"train and test need the same dimensions."
            )


def read_report(splits: dict[str, LabelledSequences], files: dict, ignored: list[str]) -> dict:
    """What was read: files, cases, dims, lengths, missing values and labels per split."""
    report = {"task": "classification", "files": files, "ignored_files": ignored}
    report["dims"] = next(iter(splits.values())).dims
    report["cases"] = {s: len(c) for s, c in splits.items()}
    report["lengths"] = {
        s: {"min": int(c.lengths().min()), "max": int(c.lengths().max())} for s, c in splits.items()
    }
    report["steps"] = {s: int(c.lengths().sum()) for s, c in splits.items()}
    report["missing_values"] = {s: c.missing_count() for s, c in splits.items()}
    report["labels"] = {
        s: {
            str(k): int(v)
            for k, v in zip(*np.unique(c.labels.astype(str), return_counts=True), strict=True)
        }
        for s, c in splits.items()
    }
    return report


def locate_case(read_report: dict, split: str, case: int) -> str:
    """'<file> case <k> (0-based)' for a case number of a split, from the read report."""
    rows = read_report["files"][split]
    row = max((r for r in rows if r["first_case"] <= case), key=lambda r: r["first_case"])
    return f"{row['path']} case {case - row['first_case']} (0-based)"
