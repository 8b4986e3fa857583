"""The UCR/UEA ``.ts`` format (sktime/aeon): header lines starting with ``@``, then one case
per line, dimensions separated by ``:``, values by ``,``, the class label last.

Supported: univariate and multivariate, equal and unequal length, missing values (``?`` or
``NaN``), ``#`` comments and blank lines anywhere, header keys in any case. Not supported:
``@timeStamps true`` (values as ``(time,value)`` pairs) and ``@targetLabel true``
(regression): both are refused with a clear error. Class labels keep their case as written
(aeon lowercases every data line; ``tests/ingest/test_ts_parity_with_aeon.py`` compares the
two on every bundled file).

Example:
    >>> cases = read_ts(Path("data/01_raw/ucr/GunPoint/GunPoint_TRAIN.ts"))
    >>> len(cases), cases.values[0].shape, cases.labels[:3]
    (50, (150, 1), array(['2', '2', '1'], dtype=object))
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_pipeline.errors import FileEncodingError, LabelError, RawInputError
from lstm_pipeline.ingest.labelled.numbers import parse_values, split_cases
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, check_lengths, dim_names

_BOOLEAN_KEYS = ("timestamps", "missing", "univariate", "equallength", "targetlabel")


@dataclass
class TsHeader:
    """What a ``.ts`` header declares (keys lowercased; unknown keys are ignored)."""

    timestamps: bool = False
    univariate: bool | None = None
    equallength: bool | None = None
    classlabel: bool = True
    targetlabel: bool = False
    classes: list[str] = field(default_factory=list)


@dataclass
class _Cases:
    """The data lines cut into cases, values still as text."""

    texts: list[str]  # per case: every value, comma-separated, dimension after dimension
    labels: list[str]
    lengths: list[int]
    lines: list[int]  # 1-based line of each case
    n_dims: int


def read_text(path: Path) -> str:
    """The file as UTF-8 text, or :class:`FileEncodingError` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FileEncodingError(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None


def read_ts(path: str | Path) -> LabelledSequences:
    """Read one ``.ts`` file.

    Args:
        path: the file.

    Returns:
        Its cases in file order; missing values are NaN; dims ``dim_0``...
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    header, first_data = parse_header(lines, path)
    cases = _cut_cases(lines, first_data, path)
    where = [f"line {line}" for line in cases.lines]
    lengths = np.asarray(cases.lengths, dtype=np.int64)
    check_lengths(lengths, str(path), where)
    _check_cases(cases, header, path)
    flat = parse_values(",".join(cases.texts), lengths * cases.n_dims, str(path), where)
    return LabelledSequences(
        values=split_cases(flat, lengths, cases.n_dims),
        labels=np.asarray(cases.labels, dtype=object),
        dims=dim_names(cases.n_dims),
        source=str(path),
    )


def parse_header(lines: list[str], path: Path) -> tuple[TsHeader, int]:
    """Read the ``@`` lines up to ``@data``; return the header and the first data line index."""
    header = TsHeader()
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            raise RawInputError(
                f"{path} line {index + 1}: expected a header line starting with '@' before "
                f"'@data', found {line[:40]!r}."
            )
        tokens = line.split()
        key = tokens[0][1:].lower()
        if key == "data":
            if len(tokens) != 1:
                raise RawInputError(f"{path} line {index + 1}: '@data' takes no value.")
            _check_header(header, path)
            return header, index + 1
        _set_key(header, key, tokens[1:], f"{path} line {index + 1}")
    raise RawInputError(f"{path}: no '@data' line; a .ts file needs one before the cases.")


def _set_key(header: TsHeader, key: str, values: list[str], where: str) -> None:
    """Store one header key (booleans checked; unknown keys ignored, as aeon does)."""
    if key in _BOOLEAN_KEYS or key == "classlabel":
        flag = values[0].lower() if values else ""
        if flag not in ("true", "false"):
            raise RawInputError(f"{where}: '@{key}' needs true or false, found {values}.")
        setattr(header, key, flag == "true")
        if key == "classlabel":
            header.classes = values[1:]
            if header.classlabel and not header.classes:
                raise RawInputError(f"{where}: '@classLabel true' must list the class values.")


def _check_header(header: TsHeader, path: Path) -> None:
    """Refuse what this reader does not read: timestamps, regression targets, no labels."""
    if header.timestamps:
        raise RawInputError(
            f"{path}: '@timeStamps true' is not supported: write the values without "
            f"timestamps ('@timeStamps false', values separated by commas)."
        )
    if header.targetlabel:
        raise RawInputError(
            f"{path}: '@targetLabel true' marks a regression target; classification needs "
            f"class labels ('@classLabel true <classes>')."
        )
    if not header.classlabel:
        raise RawInputError(
            f"{path}: '@classLabel false': the cases carry no class label; classification "
            f"needs one at the end of each case ('@classLabel true <classes>')."
        )


def _cut_cases(lines: list[str], first: int, path: Path) -> _Cases:
    """Split each data line into its label and its dimensions (values stay text)."""
    cases = _Cases(texts=[], labels=[], lengths=[], lines=[], n_dims=0)
    for index in range(first, len(lines)):
        line = lines[index].strip()
        if not line or line.startswith("#"):
            continue
        body, sep, label = line.rpartition(":")
        dims = body.replace("?", "NaN").split(":")
        lengths = {0 if not d.strip() else d.count(",") + 1 for d in dims}
        case, where = len(cases.texts), f"{path} line {index + 1}"
        if not sep or not label.strip():
            raise LabelError(f"{where} (case {case}, 0-based): no class label after the last ':'.")
        if len(lengths) > 1:
            raise RawInputError(
                f"{where} (case {case}, 0-based): its dimensions have different lengths "
                f"{sorted(lengths)}; every dimension of a case needs the same number of values."
            )
        if case == 0:
            cases.n_dims = len(dims)
        elif len(dims) != cases.n_dims:
            raise RawInputError(
                f"{where} (case {case}, 0-based): {len(dims)} dimensions, but the first case "
                f"has {cases.n_dims}; every case needs the same number of dimensions."
            )
        cases.texts.append(",".join(dims))
        cases.labels.append(label.strip())
        cases.lengths.append(lengths.pop())
        cases.lines.append(index + 1)
    if not cases.texts:
        raise RawInputError(f"{path}: no case after '@data'; the file holds only a header.")
    return cases


def _check_cases(cases: _Cases, header: TsHeader, path: Path) -> None:
    """The cases agree with what the header declares (dims, equal length, classes)."""
    if header.univariate and cases.n_dims > 1:
        raise RawInputError(
            f"{path}: '@univariate true' but the cases have {cases.n_dims} dimensions; fix "
            f"the header ('@univariate false') or the data."
        )
    if header.equallength is not False and len(set(cases.lengths)) > 1:
        first = next(i for i, n in enumerate(cases.lengths) if n != cases.lengths[0])
        raise RawInputError(
            f"{path} line {cases.lines[first]} (case {first}, 0-based): length "
            f"{cases.lengths[first]}, but the first case has {cases.lengths[0]} and the "
            f"header does not say '@equalLength false'."
        )
    if header.classes:
        declared = set(header.classes)
        for case, label in enumerate(cases.labels):
            if label not in declared:
                raise LabelError(
                    f"{path} line {cases.lines[case]} (case {case}, 0-based): label "
                    f"{label!r} is not among the classes the header declares "
                    f"{header.classes}."
                )
