"""Label mapping, missing-value filling and the long table (raw_series/series) for
classification, checked against per-case oracles (np.interp, pandas fills)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import LabelError, MissingDataError
from lstm_pipeline.ingest.labelled.clean import clean_labelled, read_labelled
from lstm_pipeline.ingest.labelled.filling import fill_missing
from lstm_pipeline.ingest.labelled.labels import decode, encode, sort_classes
from lstm_pipeline.ingest.labelled.read import LabelledSpec
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, to_frame

DATA = Path(__file__).resolve().parents[1] / "data" / "labelled"


def files(name: str) -> list[Path]:
    return sorted((DATA / name).iterdir())


def test_classes_sort_numerically_when_all_are_numbers_else_as_text():
    assert sort_classes(["10", "2", "-1", "2"]) == ["-1", "2", "10"]
    assert sort_classes(["b", "10", "a", "2"]) == ["10", "2", "a", "b"]
    classes = sort_classes(["Walking", "Running", "Standing"])
    labels = np.array(["Standing", "Walking", "Running", "Walking"], dtype=object)
    codes = encode(labels, classes)
    assert codes.dtype == np.int32 and codes.tolist() == [1, 2, 0, 2]
    assert list(decode(codes, classes)) == list(labels)  # round trip


def test_raw_series_is_the_long_table_of_the_contract():
    raw, report = read_labelled(files("JapaneseVowels"), LabelledSpec())
    dims = [f"dim_{i}" for i in range(12)]
    assert list(raw.columns) == ["split", "case", "step", "label", *dims]
    assert raw["case"].dtype == np.int64 and raw["step"].dtype == np.int32
    assert all(raw[d].dtype == np.float32 for d in dims)
    assert raw.attrs == {"task": "classification", "dims": dims, "classes": ["1", "2", "3"]}
    key = raw[["split", "case", "step"]]
    assert key.equals(key.sort_values(["split", "case", "step"], ignore_index=True))
    assert report["cases"] == {"train": 6, "test": 4}
    assert report["files"]["train"][0]["path"].endswith("JapaneseVowels_TRAIN.ts")
    from lstm_pipeline.ingest.labelled import read_ts

    for split in ("train", "test"):
        cases = read_ts(DATA / "JapaneseVowels" / f"JapaneseVowels_{split.upper()}.ts")
        part = raw[raw["split"] == split]
        assert report["lengths"][split] == {
            "min": int(cases.lengths().min()),
            "max": int(cases.lengths().max()),
        }
        for case, (values, label) in enumerate(zip(cases.values, cases.labels, strict=True)):
            rows = part[part["case"] == case]
            assert rows["step"].tolist() == list(range(len(values)))
            assert set(rows["label"]) == {label}
            np.testing.assert_array_equal(rows[dims].to_numpy(), values)


def test_clean_series_codes_labels_and_writes_the_mapping():
    raw, report = read_labelled(files("GunPoint"), LabelledSpec())
    series, ingestion, mapping = clean_labelled(raw, report, LabelledSpec())
    assert mapping == {
        "task": "classification",
        "classes": ["1", "2"],
        "counts": {"train": {"1": 2, "2": 4}, "test": {"1": 2, "2": 2}},
    }
    assert series["label"].dtype == np.int32
    assert (series["label"].to_numpy() == encode(raw["label"], ["1", "2"])).all()
    assert series.attrs == {"task": "classification", "dims": ["dim_0"], "classes": ["1", "2"]}
    assert ingestion["n_classes"] == 2 and ingestion["cases"] == {"train": 6, "test": 4}
    assert ingestion["label_counts"] == mapping["counts"]


def sequences(values: list[list[float]], labels: list[str], source="f.ts"):
    arrays = [np.array(v, dtype=np.float32).reshape(-1, 1) for v in values]
    return LabelledSequences(arrays, np.array(labels, dtype=object), ["dim_0"], source)


def report_for(splits) -> dict:
    return {
        "files": {s: [{"path": c.source, "first_case": 0}] for s, c in splits.items()},
        "dims": ["dim_0"],
    }


def test_a_single_training_class_is_refused_naming_the_file():
    splits = {
        "train": sequences([[1, 2], [3, 4]], ["a", "a"], "x_TRAIN.ts"),
        "test": sequences([[1, 2]], ["a"], "x_TEST.ts"),
    }
    with pytest.raises(LabelError, match=r"x_TRAIN\.ts: the train split holds a single class"):
        clean_labelled(to_frame(splits, ["a"]), report_for(splits), LabelledSpec())


def test_a_test_label_never_seen_in_training_names_file_and_case():
    splits = {
        "train": sequences([[1, 2], [3, 4]], ["a", "b"], "x_TRAIN.ts"),
        "test": sequences([[1], [2], [3]], ["a", "a", "c"], "x_TEST.ts"),
    }
    with pytest.raises(LabelError, match=r"x_TEST\.ts case 2 \(0-based\).*label 'c' never occurs"):
        clean_labelled(to_frame(splits, ["a", "b"]), report_for(splits), LabelledSpec())


NAN = np.nan
CASES = [[NAN, 1.0, NAN, NAN, 4.0, NAN], [2.0, NAN, 6.0], [7.0]]


def filled(policy: str) -> list[np.ndarray]:
    splits = {"all": sequences(CASES, ["a", "b", "a"])}
    frame = to_frame(splits, ["a", "b"])
    out, report = fill_missing(frame, ["dim_0"], policy, lambda s, c: f"f.ts case {c}")
    assert report["found"] == {"all": 5} and report["filled"] == {"all": 5}
    assert out["dim_0"].dtype == np.float32 and not out["dim_0"].isna().any()
    return [out.loc[out["case"] == c, "dim_0"].to_numpy() for c in range(3)]


def test_interpolate_is_linear_inside_and_nearest_at_the_ends():
    for got, written in zip(filled("interpolate"), CASES, strict=True):
        case = np.array(written)
        known = np.flatnonzero(~np.isnan(case))
        expected = np.interp(np.arange(len(case)), known, case[known])  # edges: nearest
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_ffill_and_zero():
    for got, case in zip(filled("ffill"), CASES, strict=True):
        np.testing.assert_array_equal(got, pd.Series(case).ffill().bfill().to_numpy())
    for got, case in zip(filled("zero"), CASES, strict=True):
        np.testing.assert_array_equal(got, np.nan_to_num(np.array(case), nan=0.0))


def test_error_policy_and_an_all_missing_case_name_the_file_case_and_step():
    splits = {"all": sequences(CASES, ["a", "b", "a"])}
    frame = to_frame(splits, ["a", "b"])
    locate = lambda s, c: f"f.ts case {c} (0-based)"  # noqa: E731
    with pytest.raises(MissingDataError, match=r"f\.ts case 0 \(0-based\).*at step 0 \(0-based\)"):
        fill_missing(frame, ["dim_0"], "error", locate)
    splits = {"all": sequences([[1.0, 2.0], [NAN, NAN]], ["a", "b"])}
    with pytest.raises(MissingDataError, match=r"case 1 .*no known value in this case"):
        fill_missing(to_frame(splits, ["a", "b"]), ["dim_0"], "interpolate", locate)


def test_missing_fixture_end_to_end_through_clean():
    spec = LabelledSpec(missing="interpolate")
    raw, report = read_labelled(files("ItalyPowerDemandMissing"), spec)
    assert set(raw["split"]) == {"all"} and report["missing_values"] == {"all": 6}
    series, ingestion, mapping = clean_labelled(raw, report, spec)
    assert not series["dim_0"].isna().any()
    assert ingestion["missing"]["filled"] == {"all": 6}
    assert mapping["counts"] == {"all": {"1": 3, "2": 2}}
