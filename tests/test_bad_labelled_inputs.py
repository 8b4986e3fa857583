"""The bad-input catalogue for classification (see tests/test_bad_inputs.py): each kind of
mistake in labelled sequences run as a user meets it (`kedro run -e ucr` of the stage, in
this process), asserting the error type, that the message names the file and the case (or
the parameter), and that every earlier output is byte-identical afterwards.

Every case starts from a copy of one finished tiny classification run (ItalyPowerDemand).
"""

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from kedro.validation import ParameterValidationError

from lstm_pipeline import errors as E
from tests.conftest import UCR_TINY, copy_project, run_in_process
from tests.test_bad_inputs import LEFTOVER, Case, SavedOutputs, culprit, merged, snapshot

RAW = Path("data/01_raw/ucr/ItalyPowerDemand")
TRAIN, TEST = "ItalyPowerDemand_TRAIN.ts", "ItalyPowerDemand_TEST.ts"
OUT = "data/ucr/ItalyPowerDemand"
INGEST, NORMALISE, TRAINING = ("ingestion",), ("normalisation",), ("training",)


def edit_ts(
    name: str, change: Callable[[list[str]], list[str]], header=lambda lines: lines
) -> Callable[[Path], None]:
    """Rewrite the data lines (after @data), and the header lines with ``header``, of one
    of the set's .ts files."""

    def spoil(project: Path) -> None:
        path = project / RAW / name
        lines = path.read_text().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lower().startswith("@data")) + 1
        path.write_text("\n".join(header(lines[:start]) + change(lines[start:])) + "\n")

    return spoil


def multivariate(lines: list[str]) -> list[str]:
    return [line.replace("@univariate true", "@univariate false") for line in lines]


def relabel(case: int, label: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        values, _ = lines[case].rsplit(":", 1)
        lines[case] = f"{values}:{label}"
        return lines

    return change


def every_label(label: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [f"{line.rsplit(':', 1)[0]}:{label}" for line in lines]


def second_dimension(lines: list[str]) -> list[str]:
    return [line.replace(":", f":{line.split(':')[0]}:", 1) for line in lines]


def one_hdf5_file(**arrays) -> Callable[[Path], None]:
    """The set's .ts files replaced by one HDF5 file holding ``arrays``."""

    def spoil(project: Path) -> None:
        for path in (project / RAW).iterdir():
            path.unlink()
        with h5py.File(project / RAW / "power.h5", "w") as handle:
            for name, array in arrays.items():
                handle.create_dataset(name, data=array)

    return spoil


DATA = np.random.default_rng(0).normal(size=(12, 24)).astype(np.float32)
TWO_ONES_IN_ROW_1 = np.eye(2)[[0, 1] * 6]
TWO_ONES_IN_ROW_1[1] = [1, 1]

CASES = [
    Case(
        "a test label never seen in training",
        INGEST,
        E.LabelError,
        (TEST, "'3'", "case 4"),
        edit_ts(TEST, relabel(4, "3")),
    ),
    Case(
        "a single class in TRAIN",
        INGEST,
        E.LabelError,
        (TRAIN, "single class"),
        edit_ts(TRAIN, every_label("1")),
    ),
    Case(
        "a case of length 0",
        INGEST,
        E.SequenceShapeError,
        (TEST, "case 2", "length 0"),
        edit_ts(TEST, lambda lines: [*lines[:2], ":1", *lines[3:]]),
    ),
    Case(
        "train and test with a different number of dimensions",
        INGEST,
        E.SequenceShapeError,
        (TEST, TRAIN, "2", "1"),
        edit_ts(TEST, second_dimension, header=multivariate),
    ),
    Case(
        "a missing value under the policy error",
        INGEST,
        E.MissingDataError,
        (TRAIN, "case 3", "ingestion.labelled.missing"),
        edit_ts(TRAIN, lambda lines: [*lines[:3], "?," + lines[3].split(",", 1)[1], *lines[4:]]),
        params={"ingestion": {"labelled": {"missing": "error"}}},
    ),
    Case(
        "HDF5 labels that are not one-hot",
        INGEST,
        E.LabelError,
        ("power.h5:labels", "case 1", "not one-hot"),
        one_hdf5_file(data=DATA, labels=TWO_ONES_IN_ROW_1),
    ),
    Case(
        "HDF5 labels of another length than the data",
        INGEST,
        E.LabelError,
        ("power.h5:labels", "12 cases"),
        one_hdf5_file(data=DATA, labels=np.array([1, 2] * 5)),
    ),
    Case(
        "a validation share too small to stratify",
        NORMALISE,
        E.SplitError,
        ("normalisation.labelled.validation = 0.01",),
        params={"normalisation": {"labelled": {"validation": 0.01}}},
    ),
    Case(
        "class weights naming an unknown class",
        TRAINING,
        ParameterValidationError,
        ("training.class_weight", "'7'"),
        params={"training": {"class_weight": {"7": 2.0}}},
    ),
    Case(
        "a task other than forecast or classification",
        TRAINING,
        ParameterValidationError,
        ("task = 'regression'",),
        params={"task": "regression"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_labelled_input_is_named_and_loses_nothing(
    case: Case, finished_classification_project, tmp_path
):
    project = copy_project(finished_classification_project, tmp_path / "project")
    case.spoil(project)
    before, saved = snapshot(project), SavedOutputs()
    params = merged(UCR_TINY, case.params)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked below
        run_in_process(project, *case.pipelines, params=params, env="ucr", hooks=[saved])
    found = culprit(raised.value, case.error)
    assert found is not None, f"expected {case.error.__name__}, got {raised.value!r}"
    for name in case.names:
        assert name in str(found), f"{name!r} not in: {found}"
    assert saved.relative(project) == sorted(f"{OUT}/{p}" for p in case.first_node_writes)
    after = snapshot(project)
    assert after == before
    assert [p for p in (project / "data").rglob("*") if LEFTOVER.match(p.name)] == []
