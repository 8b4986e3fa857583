"""The UCR archive's text formats: ``.tsv`` (2018) and the older ``.txt`` (2015).

One case per line, the class label first, then the values, separated by tabs, spaces or
commas. ``NaN`` marks a missing value. The 2018 archive pads variable-length series with
``NaN`` at the end: trailing NaNs are padding and are cut off (the case keeps its true
length); NaNs inside a series stay missing values. A label written as a number is kept as
that number's shortest text (``1.0000000e+00`` in old ``.txt`` files reads as ``1``), so
TRAIN and TEST agree whatever the writer's float format.

Example:
    >>> cases = read_ucr_text(Path("GunPoint_TRAIN.tsv"))
    >>> cases.values[0].shape
    (150, 1)
"""

import re
from pathlib import Path

import numpy as np

from lstm_pipeline.errors import RawInputError
from lstm_pipeline.ingest.labelled.numbers import parse_values, split_cases
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, check_lengths, dim_names
from lstm_pipeline.ingest.labelled.ts import read_text

_SEPARATORS = re.compile(r"[ \t,;]+")


def read_ucr_text(path: str | Path) -> LabelledSequences:
    """Read one ``.tsv`` or ``.txt`` file (label first, then the values; univariate).

    Args:
        path: the file.

    Returns:
        Its cases in file order, trailing NaN padding removed, dims ``["dim_0"]``.
    """
    path = Path(path)
    labels, texts, lines = [], [], []
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        line = _SEPARATORS.sub(",", raw.strip()).strip(",")
        if not line:
            continue
        label, _, values = line.partition(",")
        labels.append(normalise_label(label))
        texts.append(values)
        lines.append(number)
    if not texts:
        raise RawInputError(f"{path}: no case; expected one line per case, label first.")
    where = [f"line {line}" for line in lines]
    counts = np.array([text.count(",") + 1 if text else 0 for text in texts], dtype=np.int64)
    check_lengths(counts, str(path), where)
    flat = parse_values(",".join(t for t in texts if t), counts, str(path), where)
    padded = split_cases(flat, counts, 1)
    values = [case[: _true_length(case)] for case in padded]
    check_lengths(np.array([len(v) for v in values]), str(path), where)
    return LabelledSequences(
        values=values, labels=np.asarray(labels, dtype=object), dims=dim_names(1), source=str(path)
    )


def _true_length(case: np.ndarray) -> int:
    """The length without the trailing NaN padding (0 when every value is NaN)."""
    known = np.flatnonzero(~np.isnan(case[:, 0]))
    return int(known[-1]) + 1 if known.size else 0


def normalise_label(text: str) -> str:
    """A label as text; a whole number written as a float (``1.0``, ``1e+00``) becomes ``1``."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if np.isfinite(number) and number == int(number):
        return str(int(number))
    return text
