"""Text to numbers for the labelled readers: one numpy call per file, never one per value.

The readers cut a file into cases (a Python loop over lines, not over values), join every
value of the file into one comma-separated text and hand it here; numpy parses it in one
call (``np.fromstring`` in text mode: correctly rounded, NaN/nan accepted), so no Python
object is made per value. A value that is not a
number is an error naming the file, the case and its line.
"""

import warnings

import numpy as np
import pandas as pd

from lstm_pipeline.errors import NonFiniteValueError, RawInputError


def parse_values(text: str, counts: np.ndarray, source: str, where: list[str]) -> np.ndarray:
    """Parse comma-separated numbers (``NaN`` for missing) into one float64 array.

    Args:
        text: every value of the file, comma-separated, case after case.
        counts: how many values each case holds (sums to the number of values).
        source: the file, for messages.
        where: per case, where it is in the file (e.g. ``"line 20"``).

    Returns:
        The values in order (float64; cast to float32 by the caller).
    """
    expected = int(np.sum(counts))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # numpy: text not read to its end
            values = np.fromstring(text, dtype=np.float64, sep=",") if expected else np.empty(0)
    except (ValueError, DeprecationWarning):
        values = None
    if values is None or len(values) != expected:
        raise _not_a_number(text.split(","), counts, source, where)
    infinite = np.flatnonzero(np.isinf(values) | (np.abs(values) > np.finfo(np.float32).max))
    if infinite.size:
        case = _case_of(int(infinite[0]), counts)
        raise NonFiniteValueError(
            f"{source}: case {case} (0-based, {where[case]}) holds "
            f"{float(values[int(infinite[0])])}, an infinite value or one too large for "
            f"float32. Fix the value or write it as missing (NaN)."
        )
    return values


def _case_of(token: int, counts: np.ndarray) -> int:
    """The case a token index falls in."""
    return int(np.searchsorted(np.cumsum(counts), token, side="right"))


def _not_a_number(
    tokens: list[str], counts: np.ndarray, source: str, where: list[str]
) -> RawInputError:
    """The error for the first token that is not a number (found with one vectorised pass)."""
    series = pd.Series(tokens, dtype=object).str.strip()
    parsed = pd.to_numeric(series, errors="coerce")
    bad = (parsed.isna() & (series.str.lower() != "nan")).to_numpy()
    first = int(np.flatnonzero(bad)[0]) if bad.any() else len(tokens) - 1
    case = _case_of(first, counts)
    return RawInputError(
        f"{source}: case {case} (0-based, {where[case]}) holds {tokens[first].strip()!r}, "
        f"which is not a number. Write numbers, and missing values as NaN (or '?' in .ts)."
    )


def split_cases(values: np.ndarray, lengths: np.ndarray, n_dims: int) -> list[np.ndarray]:
    """Cut the flat values into one float32 ``(length, n_dims)`` array per case.

    The flat order is case by case and, within a case, dimension by dimension (as in
    ``.ts`` files); a univariate file is the same with ``n_dims == 1``.
    """
    ends = np.cumsum(lengths * n_dims)
    starts = ends - lengths * n_dims
    flat = values.astype(np.float32)
    return [
        np.ascontiguousarray(flat[s:e].reshape(n_dims, length).T)
        for s, e, length in zip(starts, ends, lengths, strict=True)
    ]
