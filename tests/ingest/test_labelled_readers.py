"""The .tsv/.txt, HDF5 and long-table readers and the format dispatcher, on small real
fixtures (tests/data/labelled, made by make_fixtures.py from archive cases): each must give
the same cases as the .ts original they were written from."""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import (
    ColumnNotFoundError,
    LabelError,
    RawInputError,
    SequenceShapeError,
)
from lstm_pipeline.ingest.labelled import read_ts
from lstm_pipeline.ingest.labelled.hdf5 import Hdf5Spec, read_hdf5
from lstm_pipeline.ingest.labelled.read import (
    LabelledSpec,
    assign_splits,
    file_format,
    read_labelled_splits,
)
from lstm_pipeline.ingest.labelled.table import TableSpec, read_table
from lstm_pipeline.ingest.labelled.ucr_text import read_ucr_text

DATA = Path(__file__).resolve().parents[1] / "data" / "labelled"
UCR = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "ucr"
VOWELS = {s: read_ts(DATA / "JapaneseVowels" / f"JapaneseVowels_{s}.ts") for s in ("TRAIN", "TEST")}


def assert_same_cases(got, expected, dims=None):
    assert len(got) == len(expected)
    assert list(got.labels) == list(expected.labels)
    for a, b in zip(got.values, expected.values, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    if dims is not None:
        assert got.dims == dims


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_tsv_equals_the_ts_it_was_written_from(split):
    got = read_ucr_text(DATA / "GunPointTsv" / f"GunPoint_{split}.tsv")
    assert_same_cases(got, read_ts(DATA / "GunPoint" / f"GunPoint_{split}.ts"), ["dim_0"])


def test_old_txt_with_float_labels_and_spaces_equals_the_archive():
    got = read_ucr_text(DATA / "ItalyPowerDemandTxt" / "ItalyPowerDemand_TRAIN.txt")
    original = read_ts(UCR / "ItalyPowerDemand" / "ItalyPowerDemand_TRAIN.ts")
    assert list(got.labels) == list(original.labels[:6])  # "1.0000000e+00" reads as "1"
    for a, b in zip(got.values, original.values[:6], strict=True):
        np.testing.assert_array_equal(a, b)


def test_tsv_trailing_nan_is_padding_and_inner_nan_is_missing():
    got = read_ucr_text(DATA / "JapaneseVowelsDim0" / "JapaneseVowelsDim0_TRAIN.tsv")
    expected = VOWELS["TRAIN"]
    assert got.lengths().tolist() == expected.lengths().tolist()
    assert got.missing_count() == 1 and np.isnan(got.values[1][2, 0])
    for case, (a, b) in enumerate(zip(got.values, expected.values, strict=True)):
        keep = ~np.isnan(a[:, 0])
        np.testing.assert_array_equal(a[keep, 0], b[keep, 0])
        assert keep.sum() == len(b) - (case == 1)


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_one_hot_hdf5_equals_the_archive_cases(split):
    got = read_hdf5(DATA / "BasicMotionsHdf5" / f"BasicMotions_{split}.h5")
    original = read_ts(UCR / "BasicMotions" / f"BasicMotions_{split}.ts")
    picks = [0, 1, 10, 11, 20, 21, 30, 31] if split == "TRAIN" else [0, 10, 20, 30]
    order = ["Standing", "Running", "Walking", "Badminton"]  # the one-hot column order
    assert list(got.labels) == [str(order.index(original.labels[i])) for i in picks]
    assert got.dims == [f"dim_{i}" for i in range(6)]
    for a, i in zip(got.values, picks, strict=True):
        np.testing.assert_array_equal(a, original.values[i])


def test_one_hot_columns_take_the_names_of_the_classes_attribute(tmp_path):
    path = write_h5(tmp_path / "a.h5", data=np.zeros((3, 4)), labels=np.eye(2)[[1, 0, 1]])
    with h5py.File(path, "a") as handle:
        handle["labels"].attrs["classes"] = ["cat", "dog"]
    assert list(read_hdf5(path).labels) == ["dog", "cat", "dog"]
    with h5py.File(path, "a") as handle:
        handle["labels"].attrs["classes"] = ["cat", "dog", "eel"]
    with pytest.raises(LabelError, match="names 3 classes .* one-hot rows have 2 columns"):
        read_hdf5(path)


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_padded_hdf5_with_lengths_and_byte_labels_gives_the_true_lengths(split):
    spec = Hdf5Spec(data="X", labels="y", lengths="len")
    got = read_hdf5(DATA / "JapaneseVowelsHdf5" / f"JapaneseVowels_{split}.h5", spec)
    assert_same_cases(got, VOWELS[split])


def write_h5(path: Path, **arrays) -> Path:
    with h5py.File(path, "w") as handle:
        for name, array in arrays.items():
            handle.create_dataset(name, data=array)
    return path


def test_hdf5_two_dimensional_data_is_univariate_and_integer_labels_are_text(tmp_path):
    data = np.arange(12, dtype=np.float64).reshape(3, 4)
    got = read_hdf5(write_h5(tmp_path / "a.h5", data=data, labels=np.array([3, 1, 3])))
    assert list(got.labels) == ["3", "1", "3"] and got.values[2].shape == (4, 1)
    np.testing.assert_array_equal(got.values[2][:, 0], data[2])


@pytest.mark.parametrize(
    ("arrays", "spec", "error", "message"),
    [
        (
            {"labels": np.array([[1, 0], [1, 1], [0, 1]])},
            {},
            LabelError,
            r"a\.h5:labels: case 1 \(0-based\) has the row \[1, 1\], which is not one-hot",
        ),
        ({"labels": np.array([[1, 0], [0, 0.5], [0, 1]])}, {}, LabelError, "case 1 .*not one-hot"),
        (
            {"labels": np.array([1, 2])},
            {},
            LabelError,
            r"a\.h5:labels has shape \(2,\) but the data holds 3 cases",
        ),
        (
            {"labels": np.array([1, 2, 1]), "n": np.array([4, 0, 2])},
            {"lengths": "n"},
            SequenceShapeError,
            r"a\.h5: case 1 \(0-based\) has length 0",
        ),
        (
            {"labels": np.array([1, 2, 1]), "n": np.array([4, 5, 2])},
            {"lengths": "n"},
            SequenceShapeError,
            r"case 1 \(0-based\) has length 5, more than the 4 timesteps",
        ),
        (
            {"labels": np.array([1, 2, 1])},
            {"data": "X"},
            RawInputError,
            r"a\.h5 has no dataset 'X' \(it holds \['data', 'labels'\]\)",
        ),
    ],
)
def test_bad_hdf5_names_file_and_case(tmp_path, arrays, spec, error, message):
    data = np.ones((3, 4, 2), dtype=np.float32)
    path = write_h5(tmp_path / "a.h5", data=data, **arrays)
    with pytest.raises(error, match=message):
        read_hdf5(path, Hdf5Spec(**spec))


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_long_csv_with_shuffled_rows_and_a_label_column(split):
    spec = TableSpec(id_column="id", order_column="step", label_column="label")
    got = read_table(DATA / "VowelsTable" / f"vowels_{split}.csv", spec)
    table = pd.read_csv(DATA / "VowelsTable" / f"vowels_{split}.csv")
    ids = list(dict.fromkeys(table["id"]))  # first appearance in the shuffled file
    expected = VOWELS[split]
    assert got.dims == [f"c{i}" for i in range(1, 13)]
    for values, label, name in zip(got.values, got.labels, ids, strict=True):
        case = int(name.split("-")[1])
        np.testing.assert_array_equal(values, expected.values[case])
        assert label == expected.labels[case]


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_parquet_with_timestamps_and_a_labels_file(split):
    spec = TableSpec(id_column="id", order_column="time", label_column="label")
    folder = DATA / "VowelsParquet"
    got = read_table(folder / f"vowels_{split}.parquet", spec, folder / "labels.csv")
    assert_same_cases(got, VOWELS[split], [f"c{i}" for i in range(1, 13)])


def test_table_errors_name_the_file_and_the_sequence(tmp_path):
    base = pd.DataFrame({"id": ["a", "a", "b"], "step": [0, 1, 0], "x": [1.0, 2, 3]})
    base.assign(label=["p", "q", "p"]).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(LabelError, match=r"t\.csv: sequence 'a' \(case 0, 0-based\) has label"):
        read_table(tmp_path / "t.csv")
    base.assign(label="p", step=[0, 0, 0]).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(RawInputError, match=r"d\.csv: sequence 'a' has two rows at step = 0"):
        read_table(tmp_path / "d.csv")
    base.to_csv(tmp_path / "n.csv", index=False)
    pd.DataFrame({"id": ["a"], "label": ["p"]}).to_csv(tmp_path / "labels.csv", index=False)
    with pytest.raises(LabelError, match=r"labels\.csv has no label for sequence 'b' \(case 1"):
        read_table(tmp_path / "n.csv", labels_file=tmp_path / "labels.csv")
    with pytest.raises(ColumnNotFoundError, match=r"n\.csv: column\(s\) \['label'\] not found"):
        read_table(tmp_path / "n.csv")


def test_format_from_the_name_or_declared():
    assert file_format(Path("a_TRAIN.ts")) == "ts"
    assert file_format(Path("a.TSV")) == "ucr_text"
    assert file_format(Path("a.txt")) == "ucr_text"
    assert file_format(Path("a.hdf5")) == "hdf5"
    assert file_format(Path("a.csv.gz")) == "table"
    assert file_format(Path("a.pq")) == "table"
    assert file_format(Path("a.data"), "hdf5") == "hdf5"
    with pytest.raises(RawInputError, match="cannot tell the format"):
        file_format(Path("a.data"))


def test_splits_from_names_labels_file_left_out_and_single_file_is_all():
    folder = DATA / "VowelsParquet"
    files = sorted(folder.iterdir())
    spec = LabelledSpec(labels_file="labels.csv", table={"order_column": "time"})
    groups, ignored = assign_splits(files, spec)
    assert groups == {
        "train": [folder / "vowels_TRAIN.parquet"],
        "test": [folder / "vowels_TEST.parquet"],
    }
    assert ignored == [str(folder / "labels.csv")]
    groups, _ = assign_splits([folder / "vowels_TRAIN.parquet"], LabelledSpec())
    assert groups == {"all": [folder / "vowels_TRAIN.parquet"]}  # one file: no split


def test_a_single_file_or_unpatterned_folder_is_split_all(tmp_path):
    for name in ("one.ts", "two.ts"):
        (tmp_path / name).write_bytes((DATA / "GunPoint" / "GunPoint_TRAIN.ts").read_bytes())
    (tmp_path / "notes.md").write_text("not data")
    groups, ignored = assign_splits(sorted(tmp_path.iterdir()), LabelledSpec())
    assert groups == {"all": [tmp_path / "one.ts", tmp_path / "two.ts"]}
    assert ignored == [str(tmp_path / "notes.md")]
    splits, report = read_labelled_splits(sorted(tmp_path.iterdir()), LabelledSpec())
    assert len(splits["all"]) == 12
    assert [r["first_case"] for r in report["files"]["all"]] == [0, 6]


def test_train_and_test_with_different_dimensions_is_refused(tmp_path):
    (tmp_path / "x_TRAIN.ts").write_bytes((DATA / "GunPoint" / "GunPoint_TRAIN.ts").read_bytes())
    (tmp_path / "x_TEST.ts").write_bytes(
        (DATA / "JapaneseVowels" / "JapaneseVowels_TEST.ts").read_bytes()
    )
    with pytest.raises(SequenceShapeError, match=r"x_TEST\.ts \(test\) has 12 dimension\(s\)"):
        read_labelled_splits(sorted(tmp_path.iterdir()), LabelledSpec())


def test_train_files_without_a_test_file_are_refused(tmp_path):
    for name in ("x_TRAIN.ts", "y_TRAIN.ts"):
        (tmp_path / name).write_bytes((DATA / "GunPoint" / "GunPoint_TRAIN.ts").read_bytes())
    with pytest.raises(RawInputError, match=r"found train files .* but no test file"):
        assign_splits(sorted(tmp_path.iterdir()), LabelledSpec())
