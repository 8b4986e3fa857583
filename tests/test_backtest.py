"""Backtest folds and their summary, without running Kedro: fold boundaries against a hand
computation, the split format of a plain run, the settings, and the fold count read from the
configuration when the pipelines are built."""

import statistics
from types import SimpleNamespace

import click
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.backtest import (
    METRICS,
    backtest_report,
    backtest_summary,
    check_fold_count,
    fold_bounds,
    fold_ranges,
    mean_and_std,
    rolling_ranges,
)
from lstm_pipeline.errors import SettingsError, SplitError
from lstm_pipeline.pipelines.backtest.params import BacktestParams
from lstm_pipeline.scaling.split import find_ranges
from tests.framework.test_settings import defaults_that_differ, load_parameters


def plan(**settings) -> SimpleNamespace:
    base = {"folds": 3, "window": "expanding", "test_rows": 10, "step": None, "val_rows": 5}
    return SimpleNamespace(**{"train_rows": None, **base, **settings})


def hourly(rows: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=rows, freq="1h")


def test_expanding_folds_step_back_from_the_end_by_test_rows():
    # 100 rows, 3 folds of 10 test rows: tests [70, 80), [80, 90), [90, 100), each with the
    # 5 rows before it for validation and every earlier row for training
    bounds = [fold_bounds(100, plan(), fold) for fold in (1, 2, 3)]
    assert bounds == [
        {"train": (0, 65), "val": (65, 70), "test": (70, 80)},
        {"train": (0, 75), "val": (75, 80), "test": (80, 90)},
        {"train": (0, 85), "val": (85, 90), "test": (90, 100)},
    ]


def test_sliding_folds_train_on_a_fixed_number_of_rows_and_may_overlap():
    # step 4 < test_rows 10: the test parts overlap; train_rows 20 before validation
    settings = plan(window="sliding", train_rows=20, step=4, val_rows=0)
    bounds = [fold_bounds(100, settings, fold) for fold in (1, 2, 3)]
    assert bounds == [
        {"train": (62, 82), "val": (82, 82), "test": (82, 92)},
        {"train": (66, 86), "val": (86, 86), "test": (86, 96)},
        {"train": (70, 90), "val": (90, 90), "test": (90, 100)},
    ]


def test_the_last_expanding_fold_is_the_plain_split_at_its_dates():
    index = hourly(300)
    ranges = fold_ranges(index, plan(test_rows=48, val_rows=24), 3, min_train_rows=100)
    split = SimpleNamespace(
        method="timestamps",
        val_start=ranges["val"]["start"],
        test_start=ranges["test"]["start"],
        min_train_rows=100,
    )
    assert ranges == find_ranges(index, split)
    assert ranges["test"]["stop_row"] == 300 and ranges["train"]["start_row"] == 0


def test_without_validation_the_val_range_is_empty():
    ranges = fold_ranges(hourly(200), plan(val_rows=0), 1, min_train_rows=50)
    assert ranges["val"] == {
        "start_row": 170,
        "stop_row": 170,
        "rows": 0,
        "start": None,
        "end": None,
    }


def test_folds_that_do_not_fit_are_refused_naming_the_settings():
    with pytest.raises(SplitError, match=r"fewer than 'normalisation.split.min_train_rows'"):
        fold_ranges(hourly(100), plan(), 3, min_train_rows=70)  # fold 1 trains on 65 rows
    with pytest.raises(SplitError, match=r"backtest.train_rows = 90") as error:
        fold_ranges(hourly(100), plan(window="sliding", train_rows=90), 3, min_train_rows=10)
    assert "25 row(s) before" in str(error.value)  # fold 1: train would start at 65 - 90
    with pytest.raises(SplitError, match=r"5 row\(s\) before the series' first row"):
        fold_ranges(hourly(30), plan(), 3, min_train_rows=1)  # fold 1 tests on [0, 10)
    assert "backtest.folds = 3, backtest.test_rows = 10" in str(error.value)


def test_many_series_are_cut_each_on_its_own_rows_and_a_short_one_is_skipped():
    index = hourly(130)
    ranges = rolling_ranges(index, [["a", 100], ["b", 30]], plan(), 3, min_train_rows=20)
    assert set(ranges["series"]) == {"a"}
    assert "first row (30 rows)" in ranges["skipped"]["b"]
    assert ranges["series"]["a"]["test"]["stop_row"] == 100
    both = rolling_ranges(index, [["b", 30], ["a", 100]], plan(test_rows=2, val_rows=1), 1, 5)
    assert both["series"]["a"]["test"]["start_row"] == 30 + 100 - 2 * 2 - 2  # shifted by b
    assert both["test"]["rows"] == 4
    with pytest.raises(SplitError, match="No series holds"):
        rolling_ranges(index, [["b", 30]], plan(), 1, min_train_rows=20)


def test_the_pipelines_and_the_settings_must_agree_on_the_fold_count():
    check_fold_count(3, 3)
    with pytest.raises(SettingsError, match=r"backtest.folds = 2, but .* built with 3"):
        check_fold_count(2, 3)


def test_mean_and_sample_std_leave_out_missing_values():
    assert mean_and_std([1.0, 2.0, 4.0]) == {
        "mean": pytest.approx(7 / 3),
        "std": pytest.approx(statistics.stdev([1.0, 2.0, 4.0])),
        "folds": 3,
    }
    assert mean_and_std([2.0, None]) == {"mean": 2.0, "std": None, "folds": 1}
    assert mean_and_std([None]) == {"mean": None, "std": None, "folds": 0}


def fold_inputs(number: int, values: dict) -> tuple[dict, dict]:
    part = {"start": f"2024-0{number}-01", "end": f"2024-0{number}-02", "rows": 24}
    ranges = {"train": part, "val": {**part, "rows": 0}, "test": part}

    def overall(value):
        return {"overall": {metric: value for metric in METRICS}}

    metrics = {
        "windows": 19,
        "targets": ["load"],
        "units": {"load": "kW"},
        "model": overall(values["model"]),
        "baselines": {"persistence": overall(values["persistence"])},
    }
    return ranges, metrics


def test_the_summary_holds_each_fold_and_mean_and_std_per_forecaster():
    folds = [
        fold_inputs(1, {"model": 1.0, "persistence": 2.0}),
        fold_inputs(2, {"model": 3.0, "persistence": 2.5}),
    ]
    summary = backtest_summary(BacktestParams(folds=2, test_rows=24, val_rows=0), folds)
    assert [f["metrics"]["model"]["mae"] for f in summary["folds"]] == [1.0, 3.0]
    assert summary["summary"]["model"]["rmse"] == {
        "mean": 2.0,
        "std": pytest.approx(np.std([1.0, 3.0], ddof=1)),
        "folds": 2,
    }
    assert list(summary["summary"]) == ["model", "persistence"]
    text = backtest_report(summary)
    assert "| model | 2.0000 ± 1.4142 |" in text
    assert "| persistence | 2.2500 ± 0.3536 |" in text
    assert "MAE (kW)" in text and "](plots/backtest_folds.png)" in text


def test_settings_are_checked_and_defaults_equal_conf_base():
    base = load_parameters()["backtest"]
    assert defaults_that_differ(BacktestParams, base, "backtest") == []
    BacktestParams.model_validate(base)
    with pytest.raises(SettingsError, match=r"backtest: train_rows = None: window 'sliding'"):
        BacktestParams.model_validate({"window": "sliding"})
    with pytest.raises(SettingsError, match=r"train_rows = 10: window 'expanding'"):
        BacktestParams.model_validate({"train_rows": 10})
    with pytest.raises(SettingsError, match=r"backtest.folds = 0"):
        BacktestParams.model_validate({"folds": 0})
    with pytest.raises(SettingsError, match=r"backtest.window = 'rolling'"):
        BacktestParams.model_validate({"window": "rolling"})


@pytest.fixture
def conf_project(tmp_path, monkeypatch):
    """A folder Kedro takes for a project, holding only parameter files."""
    from kedro.framework.project import configure_project

    configure_project("lstm_pipeline")
    (tmp_path / "pyproject.toml").write_text('[tool.kedro]\npackage_name = "lstm_pipeline"\n')
    for env, folds in (("base", 4), ("local", None), ("other", 6)):
        (tmp_path / "conf" / env).mkdir(parents=True)
        if folds is not None:
            text = f"backtest:\n  folds: {folds}\n  window: expanding\n"
            (tmp_path / "conf" / env / "parameters_backtest.yml").write_text(text)
    (tmp_path / "conf" / "base" / "parameters.yml").write_text("seed: 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    return tmp_path


def test_the_fold_count_is_read_from_the_runs_configuration(conf_project, monkeypatch):
    from lstm_pipeline.cli import run
    from lstm_pipeline.pipelines.backtest.configuration import configured_folds

    assert configured_folds() == 4  # conf/base; conf/local names no fold count
    monkeypatch.setenv("KEDRO_ENV", "other")
    assert configured_folds() == 6
    monkeypatch.delenv("KEDRO_ENV")
    with click.Context(run, info_name="run") as context:  # kedro run -e other --params ...
        context.params = {"env": "other", "params": {"backtest": {"folds": 7}}}
        assert configured_folds() == 7
        context.params = {"env": "other", "params": {}}
        assert configured_folds() == 6
    (conf_project / "conf" / "local" / "parameters.yml").write_text("backtest:\n  folds: 0\n")
    assert configured_folds() == 0  # no fold built; the run refuses backtest.folds = 0


def test_each_fold_dataset_is_its_plain_twin_in_the_folds_folder(project):
    """The catalog patterns give every dataset of a fold the type and options of the plain
    entry, under data/backtest/fold_<n>/; they never catch a name outside the folds."""
    from contextlib import chdir

    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with chdir(project), KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        names = {n for n in pipelines["backtest"].datasets() if not n.startswith("params:")}
        plain_names = {n for n in pipelines["__default__"].datasets() if "params:" not in n}
    data = f"{project.as_posix()}/data/"
    fold_2 = {n for n in names if n.startswith("backtest.fold_2.")}
    assert len(fold_2) == 22  # every output of the five stages
    for name in fold_2:
        plain = catalog.get(name.removeprefix("backtest.fold_2."))
        ours = catalog.get(name)
        assert type(ours) is type(plain), name
        expected = str(plain._describe()).replace(data, f"{data}backtest/fold_2/")
        assert str(ours._describe()) == expected
    for name in names - {"series"} - {n for n in names if n.startswith("backtest.fold_")}:
        assert f"{data}backtest/" in str(catalog.get(name)._describe()), name  # the summary
    for name in plain_names:
        assert "backtest" not in str(catalog.get(name)._describe()), name
