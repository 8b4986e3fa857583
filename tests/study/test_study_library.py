"""The study's pieces without training: resampling against np.interp, the grid's order,
validation drawn from TRAIN, and the best batch size per length against a pandas groupby."""

import itertools

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.study.grid import grid_points
from lstm_pipeline.study.inputs import with_validation
from lstm_pipeline.study.resample import resample_cases, resample_values
from lstm_pipeline.study.summary import best_batch_sizes, heatmap, report_markdown
from tests.study.frames import labelled_frame


@pytest.mark.parametrize("factor", [0.25, 0.5, 1.0, 2.5, 4.0])
def test_resampled_cases_have_the_new_length_and_np_interp_values(factor):
    frame = labelled_frame([12, 40, 7], [0, 1, 1])
    resampled = resample_cases(frame, factor)
    assert list(resampled.columns) == list(frame.columns)
    assert resampled.attrs == frame.attrs
    assert (resampled.dtypes == frame.dtypes).all()
    for case, rows in frame.groupby("case"):
        new = resampled[resampled["case"] == case]
        length = max(2, round(len(rows) * factor))
        assert len(new) == length
        assert new["step"].tolist() == list(range(length))
        assert set(new["label"]) == set(rows["label"])
        positions = np.linspace(0, len(rows) - 1, length)  # the oracle: np.interp per feature
        for feature in ("dim_0", "dim_1"):
            expected = np.interp(positions, np.arange(len(rows)), rows[feature].to_numpy())
            np.testing.assert_allclose(new[feature].to_numpy(), expected, rtol=1e-6, atol=1e-6)


def test_resampling_keeps_a_straight_line_straight_and_its_ends():
    line = np.arange(5, dtype=np.float64)[:, None] * 3.0  # 0, 3, ..., 12
    np.testing.assert_allclose(resample_values(line, 9)[:, 0], np.linspace(0, 12, 9))
    np.testing.assert_allclose(resample_values(line, 2)[:, 0], [0, 12])


def test_a_factor_that_is_not_positive_is_refused():
    with pytest.raises(SettingsError, match="factor = 0"):
        resample_cases(labelled_frame([5], [0]), 0)


def test_each_seed_block_runs_every_pair_once_in_its_own_order():
    lengths, batches, seeds = [24, 48, 96], [8, 32], [1, 2, 3]
    points = grid_points(lengths, batches, seeds, order_seed=7)
    assert [p["position"] for p in points] == list(range(18))
    pairs = set(itertools.product(lengths, batches))
    blocks = [points[i : i + 6] for i in range(0, 18, 6)]
    for seed, block in zip(seeds, blocks, strict=True):
        assert {p["seed"] for p in block} == {seed}
        assert {(p["length"], p["batch_size"]) for p in block} == pairs
    orders = [[(p["length"], p["batch_size"]) for p in block] for block in blocks]
    assert len({tuple(order) for order in orders}) > 1  # not the same order every block
    assert orders != [sorted(order) for order in orders]  # nor the grid's order
    assert grid_points(lengths, batches, seeds, order_seed=7) == points  # seeded


def test_validation_is_a_stratified_share_of_train_and_test_stays():
    labels = [0] * 10 + [1] * 10
    train = labelled_frame([6] * 20, labels)
    test = labelled_frame([6] * 4, [0, 1, 0, 1], seed=1)
    empty = train.iloc[:0]
    drawn = with_validation({"train": train, "val": empty, "test": test}, 0.3, seed=42)
    val_cases, train_cases = set(drawn["val"]["case"]), set(drawn["train"]["case"])
    assert len(val_cases) == 6 and not val_cases & train_cases
    assert val_cases | train_cases == set(range(20))
    assert drawn["val"].groupby("case")["label"].first().value_counts().to_dict() == {0: 3, 1: 3}
    pd.testing.assert_frame_equal(drawn["test"], test.sort_values(["case", "step"]))
    assert drawn["train"].attrs == train.attrs
    stored = with_validation({"train": train, "val": test, "test": test}, 0.3, seed=42)
    assert stored["train"] is train  # a stored validation split is used as it is


def points_table(task: str, seed=0) -> pd.DataFrame:
    """A made-up study result: 3 lengths x 3 batch sizes x 3 seeds, one failed point."""
    rng = np.random.default_rng(seed)
    rows = []
    for n, (length, batch, s) in enumerate(itertools.product([10, 20, 40], [4, 8, 16], [1, 2, 3])):
        rows.append({
            "position": n, "task": task, "length": length, "batch_size": batch, "seed": s,
            "val_loss": rng.uniform(0.2, 1.0), "val_accuracy": rng.choice([0.5, 0.75, 1.0]),
            "test_loss": rng.uniform(0.2, 1.0), "test_accuracy": rng.uniform(0.4, 1.0),
            "epoch_s": rng.uniform(1, 2), "samples_per_s": rng.uniform(100, 900),
            "peak_rss_mb": 800.0, "error": None,
        })  # fmt: skip
    rows[5]["error"], rows[5]["val_loss"], rows[5]["val_accuracy"] = "boom", -99.0, 99.0
    return pd.DataFrame(rows)


@pytest.mark.parametrize("task", ["forecast", "classification"])
def test_the_best_batch_size_is_the_best_mean_over_seeds(task):
    points = points_table(task)
    best = best_batch_sizes(points, task).set_index("length")
    ok = points[points["error"].isna()]  # the failed point's score must not count
    means = ok.groupby(["length", "batch_size"])[["val_loss", "val_accuracy"]].mean()
    sds = ok.groupby(["length", "batch_size"])[["val_loss", "val_accuracy"]].std()
    for length in (10, 20, 40):
        at = means.loc[length]
        if task == "forecast":
            expected = at["val_loss"].idxmin()
        else:  # highest accuracy, ties to the lower loss
            top = at[at["val_accuracy"] == at["val_accuracy"].max()]
            expected = top["val_loss"].idxmin()
        score = "val_loss" if task == "forecast" else "val_accuracy"
        assert best.loc[length, "best_batch_size"] == expected
        assert best.loc[length, f"{score}_mean"] == pytest.approx(at.loc[expected, score])
        assert best.loc[length, f"{score}_std"] == pytest.approx(sds.loc[(length, expected), score])
        spread = sds.loc[(length, expected), score]
        close = at.index[(at[score] - at.loc[expected, score]).abs() <= spread].tolist()
        assert best.loc[length, "indistinct"] == close
    assert best.loc[10, "seeds"] == (3 if best.loc[10, "best_batch_size"] != 8 else 2)


def test_the_report_and_heatmaps_show_every_length_and_batch_size():
    points = points_table("classification")
    text = report_markdown(points, "classification", "Study")
    assert text.count("\n| 10 | ") == 4  # the summary row and the grid's three
    assert "1 point(s) failed: boom" in text
    figure = heatmap(points, "classification", "samples_per_s", "speed")
    z = np.asarray(figure.data[0].z)
    assert z.shape == (3, 3)
    expected = points[points["error"].isna()].groupby(["length", "batch_size"])["samples_per_s"]
    np.testing.assert_allclose(z, expected.mean().unstack().to_numpy())
    assert list(figure.data[0].x) == ["4", "8", "16"] and list(figure.data[0].y) == [
        "10",
        "20",
        "40",
    ]


def test_an_epoch_budget_is_samples_or_steps_and_bad_settings_name_the_parameter(tmp_path):
    from lstm_pipeline.pipelines.study.params import StudyParams
    from lstm_pipeline.study.point import point_training

    same_data = point_training({}, 32, 3, 100, tmp_path)
    assert same_data["max_steps_per_epoch"] == 4  # ceil(100 / 32): every batch size sees 100
    assert point_training({}, 32, 3, None, tmp_path, steps=7)["max_steps_per_epoch"] == 7
    assert point_training({}, 32, 3, None, tmp_path)["max_steps_per_epoch"] is None
    assert same_data["checkpoint_dir"] == str(tmp_path / "checkpoints")
    with pytest.raises(SettingsError, match="study.forecast: samples_per_epoch = 2048 and"):
        StudyParams.model_validate({"forecast": {"steps_per_epoch": 8}})
    with pytest.raises(SettingsError, match=r"study.classification.length_factors = \[0.5, 0.0\]"):
        StudyParams.model_validate({"classification": {"length_factors": [0.5, 0.0]}})
    with pytest.raises(SettingsError, match=r"study.seeds = \[1, 1\]: .* repeats a value"):
        StudyParams.model_validate({"seeds": [1, 1]})
