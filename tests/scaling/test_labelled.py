"""Splits and scalers of labelled sequences, against direct NumPy computations."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import SplitError
from lstm_pipeline.scaling import labelled


def _long_table(split: str, labels: list[str], lengths: list[int], dims: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    parts = []
    for case, (label, length) in enumerate(zip(labels, lengths, strict=True)):
        values = rng.normal(case, 1 + case, size=(length, dims)).astype(np.float32)
        part = pd.DataFrame(values, columns=[f"dim_{d}" for d in range(dims)])
        part.insert(0, "label", label)
        part.insert(0, "step", np.arange(length, dtype=np.int32))
        part.insert(0, "case", case)
        part.insert(0, "split", split)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _archive(n_train=40, n_test=20):
    labels = ["a", "b", "b", "c"]
    train = _long_table(
        "train", [labels[i % 4] for i in range(n_train)], [5 + i % 3 for i in range(n_train)]
    )
    test = _long_table("test", [labels[i % 4] for i in range(n_test)], [6] * n_test, seed=1)
    return pd.concat([train, test], ignore_index=True)


def test_the_archive_split_is_kept_and_validation_is_stratified_from_train():
    frame = _archive()
    ranges = labelled.split_cases(frame, validation=0.25, test=0.3, seed=3)
    cases = ranges["cases"]
    assert cases["test"] == list(range(20))  # TEST untouched
    assert ranges["source"] == {"train": "train", "val": "train", "test": "test"}
    assert sorted(cases["train"] + cases["val"]) == list(range(40))  # a partition of TRAIN
    val_labels = labelled.case_labels(frame, "train").loc[cases["val"]]
    counts = val_labels.value_counts()  # a quarter of 10 a, 20 b, 10 c, rounded either way
    assert counts["b"] == 5 and {counts["a"], counts["c"]} == {2, 3}


def test_validation_zero_draws_nothing():
    ranges = labelled.split_cases(_archive(), validation=0.0, test=0.3, seed=3)
    assert ranges["cases"]["val"] == [] and len(ranges["cases"]["train"]) == 40


def test_a_source_without_split_gets_a_stratified_test_share():
    frame = _archive().assign(split="all")
    frame = frame[frame["case"].isin(range(40))]  # the train cases, renamed
    frame = frame.drop_duplicates(["case", "step"])
    ranges = labelled.split_cases(frame, validation=0.0, test=0.25, seed=0)
    test_labels = labelled.case_labels(frame, "all").loc[ranges["cases"]["test"]]
    assert len(test_labels) == 10 and set(test_labels) == {"a", "b", "c"}
    assert not set(ranges["cases"]["test"]) & set(ranges["cases"]["train"])


def test_a_share_too_small_to_stratify_names_the_parameter():
    frame = _long_table("train", ["a", "b", "a", "b"], [3] * 4)
    frame = pd.concat([frame, _long_table("test", ["a", "b"], [3, 3])])
    with pytest.raises(SplitError, match=r"normalisation\.labelled\.validation = 0.1"):
        labelled.split_cases(frame, validation=0.1, test=0.3, seed=0)


def test_per_sequence_scaling_z_normalises_each_case_and_channel():
    frame = labelled.take_cases(_archive(), labelled.split_cases(_archive(), 0, 0.3, 0), "train")
    scaler = labelled.fit_sequence_scaler(frame, "per_sequence")
    scaled = labelled.scale_cases(frame, scaler)
    for _case, rows in frame.groupby("case"):
        values = rows[["dim_0", "dim_1"]].to_numpy(np.float64)
        expected = (values - values.mean(0)) / values.std(0)
        got = scaled.loc[rows.index, ["dim_0", "dim_1"]].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert scaled["dim_0"].dtype == np.float32


def test_a_per_channel_scaler_sees_the_train_cases_only():
    frame = _archive()
    ranges = labelled.split_cases(frame, 0.25, 0.3, 0)
    train = labelled.take_cases(frame, ranges, "train")
    scaler = labelled.fit_sequence_scaler(train, "standard")
    expected = train[["dim_0", "dim_1"]].to_numpy(np.float64)
    assert scaler["center"]["dim_0"] == pytest.approx(expected[:, 0].mean())
    assert scaler["scale"]["dim_1"] == pytest.approx(expected[:, 1].std())
    test = labelled.scale_cases(labelled.take_cases(frame, ranges, "test"), scaler)
    raw = labelled.take_cases(frame, ranges, "test")["dim_0"].to_numpy(np.float64)
    np.testing.assert_allclose(
        test["dim_0"], (raw - expected[:, 0].mean()) / expected[:, 0].std(), rtol=1e-5
    )
