"""A tiny study through the pipeline's nodes and the library (classification): 2 length
factors x 2 batch sizes x 1 seed, 1 epoch of a 4-unit LSTM, every point in its own child
process. Its table, the shards of each length, the best batch size per length (oracle: a
pandas groupby) and the report and heatmaps."""

import itertools

import numpy as np
import pytest

from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.pipelines.study.nodes import prepare_study, report_study, run_study
from lstm_pipeline.pipelines.study.params import StudyParams
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.study.run import COLUMNS
from lstm_pipeline.study.summary import best_batch_sizes
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.sequences import ParquetSequences
from tests.study.frames import labelled_frame

FACTORS, BATCHES = [0.5, 2.0], [4, 8]


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    sizes = {"train": 16, "val": 0, "test": 8}  # val empty: drawn from train (ucr's way)
    splits = {}
    for n, (name, cases) in enumerate(sizes.items()):
        frame = labelled_frame([20] * max(cases, 2), [0, 1] * max(cases // 2, 1), ("dim_0",), n)
        path = folder / f"{name}_series.parquet"
        (frame if cases else frame.iloc[:0]).to_parquet(path)
        splits[name] = ParquetSequences(path)
    study = StudyParams.model_validate({
        "seeds": [1],
        "classification": {
            "length_factors": FACTORS, "batch_sizes": BATCHES, "epochs": 1, "validation": 0.25,
        },
        "modelling": {"architecture": "lstm", "recurrent": {"units": [4]}},
        "folder": str(folder / "study"),
        "timeout": 300,
    })  # fmt: skip
    windowing = WindowingParams.model_validate({"targets": ["dim_0"]})
    inputs = prepare_study(*splits.values(), windowing, study, 42, "classification")
    modelling, training = ModelSpec.model_validate({}), TrainingConfig()
    points = run_study(inputs, study, modelling, training, 42, "classification")
    return inputs, points


def test_each_length_has_its_resampled_shards_and_record(tiny_study):
    inputs, _ = tiny_study
    assert [entry["length"] for entry in inputs["lengths"]] == [10, 40]
    for entry in inputs["lengths"]:
        sets = {split: ShardSet(entry[split]) for split in ("train", "val", "test")}
        cases = {split: s.manifest.cases_total for split, s in sets.items()}
        assert cases == {"train": 12, "val": 4, "test": 8}  # 25% of TRAIN drawn, stratified
        assert sets["train"].manifest.max_length == entry["length"]
        assert entry["record"]["max_length"] == entry["length"]
        assert entry["record"]["splits"]["val"]["cases"] == 4


def test_every_point_is_measured(tiny_study):
    _, points = tiny_study
    assert list(points.columns) == COLUMNS
    assert points["error"].isna().all(), points["error"].tolist()
    pairs = set(zip(points["length"], points["batch_size"], strict=True))
    assert pairs == set(itertools.product([10, 40], BATCHES))
    assert sorted(points["factor"].unique()) == FACTORS
    assert (points["samples_per_s"] > 0).all() and (points["peak_rss_mb"] > 0).all()
    assert (points["epoch_s"] > 0).all() and (points["epochs_run"] == 1).all()
    for column in ("val_accuracy", "test_accuracy"):
        assert points[column].between(0, 1).all()
    assert np.isfinite(points[["val_loss", "test_loss"]].to_numpy()).all()


def test_the_best_batch_size_per_length_is_the_groupby_argmax(tiny_study):
    _, points = tiny_study
    best = best_batch_sizes(points, "classification").set_index("length")
    means = points.groupby(["length", "batch_size"])[["val_accuracy", "val_loss"]].mean()
    for length in (10, 40):
        at = means.loc[length]
        top = at[at["val_accuracy"] == at["val_accuracy"].max()]
        assert best.loc[length, "best_batch_size"] == top["val_loss"].idxmin()


def test_the_report_and_heatmaps(tiny_study):
    _, points = tiny_study
    text, score, speed = report_study(points, "classification")
    assert "| 10 | " in text and "| 40 | " in text and "val_accuracy" in text
    for figure, column in ((score, "val_accuracy"), (speed, "samples_per_s")):
        z = np.asarray(figure.data[0].z, dtype=float)
        expected = points.groupby(["length", "batch_size"])[column].mean().unstack()
        np.testing.assert_allclose(z, expected.to_numpy())
