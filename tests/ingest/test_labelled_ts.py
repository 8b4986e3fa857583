"""The .ts reader on small real fixtures (tests/data/labelled), against plain-text oracles."""

from pathlib import Path

import numpy as np
import pytest

from lstm_pipeline.errors import (
    LabelError,
    NonFiniteValueError,
    RawInputError,
    SequenceShapeError,
)
from lstm_pipeline.ingest.labelled import read_ts

DATA = Path(__file__).resolve().parents[1] / "data" / "labelled"
ORIGINAL = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "ucr"


def data_lines(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data")
    return [line for line in lines[start + 1 :] if line.strip()]


def test_univariate_equal_length_matches_the_text():
    path = DATA / "GunPoint" / "GunPoint_TRAIN.ts"
    cases = read_ts(path)
    assert len(cases) == 6 and cases.dims == ["dim_0"] and cases.source == str(path)
    assert list(cases.labels) == ["2", "2", "1", "1", "2", "2"]
    for values, line in zip(cases.values, data_lines(path), strict=True):
        text, _ = line.rsplit(":", 1)
        expected = np.array([float(v) for v in text.split(",")], dtype=np.float32)
        assert values.dtype == np.float32 and values.shape == (150, 1)
        np.testing.assert_array_equal(values[:, 0], expected)


def test_multivariate_unequal_length_keeps_each_case_length_and_dimension_order():
    path = DATA / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts"
    cases = read_ts(path)
    assert cases.dims == [f"dim_{i}" for i in range(12)]
    lines = data_lines(path)
    for values, line in zip(cases.values, lines, strict=True):
        dims = line.split(":")[:-1]
        assert values.shape == (len(dims[0].split(",")), 12)
        for d, text in enumerate(dims):
            expected = np.array([float(v) for v in text.split(",")], dtype=np.float32)
            np.testing.assert_array_equal(values[:, d], expected)
    assert len(set(cases.lengths().tolist())) > 1  # really unequal


def test_missing_values_become_nan_exactly_where_written():
    cases = read_ts(DATA / "ItalyPowerDemandMissing" / "ItalyPowerDemandMissing_TRAIN.ts")
    original = read_ts(ORIGINAL / "ItalyPowerDemand" / "ItalyPowerDemand_TRAIN.ts")
    holes = {(0, 3), (1, 0), (1, 23), (2, 10), (2, 11), (2, 12)}
    found = {(c, int(s)) for c, v in enumerate(cases.values) for s in np.flatnonzero(np.isnan(v))}
    assert found == holes and cases.missing_count() == 6
    for case, values in enumerate(cases.values):
        known = ~np.isnan(values)
        np.testing.assert_array_equal(values[known], original.values[case][known])
    assert list(cases.labels) == list(original.labels[:5])


def write(tmp_path: Path, text: str, name: str = "bad_TRAIN.ts") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "@problemName x\n@timeStamps false\n@univariate true\n@classLabel true a B\n@data\n"


def test_comments_blank_lines_and_header_case_are_accepted_and_label_case_kept(tmp_path):
    text = "# c\n@PROBLEMNAME x\n@TimeStamps FALSE\n\n@CLASSLABEL True a B\n@Data\n"
    text += "1,2,3:a\n\n# a comment among the cases\n  4,5,6:B  \n"
    cases = read_ts(write(tmp_path, text))
    assert list(cases.labels) == ["a", "B"]
    np.testing.assert_array_equal(cases.values[1][:, 0], [4, 5, 6])


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            HEADER.replace("@timeStamps false", "@timeStamps true") + "1,2:a\n",
            RawInputError,
            r"bad_TRAIN\.ts: '@timeStamps true' is not supported",
        ),
        (
            HEADER + "1,2:a\n:B\n",
            SequenceShapeError,
            r"bad_TRAIN\.ts: case 1 \(0-based, line 7\) has length 0",
        ),
        (
            HEADER + "1,2:a\n1,x:B\n",
            RawInputError,
            r"bad_TRAIN\.ts: case 1 \(0-based, line 7\) holds 'x', which is not a number",
        ),
        (
            HEADER + "1,2:a\n1,2:c\n",
            LabelError,
            r"bad_TRAIN\.ts line 7 \(case 1, 0-based\): label 'c' is not among",
        ),
        (
            HEADER.replace("true\n@c", "false\n@c") + "1,2:a\n1,2:3,4:B\n",
            RawInputError,
            r"bad_TRAIN\.ts line 7 \(case 1, 0-based\): 2 dimensions, but the first case has 1",
        ),
        (
            HEADER + "1,2:a\n1,2,3:B\n",
            RawInputError,
            r"line 7 \(case 1, 0-based\): length 3, but the first case has 2",
        ),
        (HEADER + "1,2:a\n1,2\n", LabelError, r"line 7 \(case 1, 0-based\): no class label"),
        (HEADER.replace("@data\n", ""), RawInputError, "no '@data' line"),
        (HEADER, RawInputError, "no case after '@data'"),
        (HEADER.replace("true a B", "false") + "1,2\n", RawInputError, "'@classLabel false'"),
        (HEADER + "1,inf:a\n", NonFiniteValueError, r"case 0 \(0-based, line 6\) holds inf"),
        (HEADER + "1,2:a\n1,:B\n", RawInputError, r"case 1 \(0-based, line 7\) holds ''"),
        (HEADER + "1,2:a\n1,2 3:B\n", RawInputError, r"case 1 \(0-based, line 7\) holds '2 3'"),
    ],
)
def test_bad_files_name_the_file_and_the_case(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        read_ts(write(tmp_path, text))


def test_unequal_length_is_read_when_the_header_says_so(tmp_path):
    text = HEADER.replace("@data", "@equalLength false\n@data") + "1,2:a\n1,?,3:B\n"
    cases = read_ts(write(tmp_path, text))
    assert cases.lengths().tolist() == [2, 3]
    assert np.isnan(cases.values[1][1, 0])
