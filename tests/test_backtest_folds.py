"""The backtest pipeline run by Kedro on the 14-day slice (335 hourly rows), tiny settings:
no fold's scaler sees a row outside its train part, one fold run alone equals a plain run
at that fold's dates, and bad settings stop the run before anything is written."""

import json
from contextlib import chdir
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.backtest import METRICS
from tests.conftest import TINY, new_project, run_in_process

ROWS = 335  # the slice, resampled to hours
SERIES = "data/02_intermediate/series.parquet"


def backtest_settings(project: Path, **settings) -> None:
    """conf/local/parameters_backtest.yml: the fold count is read from the parameter files
    when the pipelines are built (runtime params reach the nodes only)."""
    lines = [f"  {key}: {value}" for key, value in settings.items()]
    text = "\n".join(["backtest:", *lines, ""])
    (project / "conf" / "local" / "parameters_backtest.yml").write_text(text)


def load(project: Path, path: str):
    data = json.loads((project / path).read_text())
    data.pop("lineage", None)
    return data


def run_namespace(project: Path, namespace: str, params: dict):
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with (
        chdir(project),
        KedroSession.create(project_path=project, runtime_params=params) as session,
    ):
        return session.run(pipeline_names=["backtest"], namespaces=[namespace])


def test_each_fold_scaler_is_fitted_on_its_own_train_rows_only(tmp_path):
    project = new_project(tmp_path / "project")
    # sliding: 150 train rows, 24 validation, 48 test; origins 24 rows apart
    backtest_settings(
        project, folds=2, window="sliding", train_rows=150, val_rows=24, test_rows=48, step=24
    )
    run_in_process(project, "ingestion", "backtest", params=TINY)

    series = pd.read_parquet(project / SERIES).astype("float64")
    assert len(series) == ROWS
    for fold, shift in ((1, 24), (2, 0)):  # by hand: fold k ends (2 - k) * 24 rows early
        val_start = ROWS - shift - 48 - 24
        train = series.iloc[val_start - 150 : val_start]
        folder = f"data/backtest/fold_{fold}/04_feature"
        ranges = load(project, f"{folder}/split_ranges.json")
        assert (ranges["train"]["start_row"], ranges["train"]["stop_row"]) == (
            val_start - 150,
            val_start,
        )
        assert ranges["train"]["start"] == str(train.index[0])
        assert ranges["test"]["stop_row"] == ROWS - shift
        scaler = load(project, f"{folder}/scaler.json")
        for column in series.columns:
            assert scaler["center"][column] == pytest.approx(train[column].mean(), rel=1e-9)
            assert scaler["scale"][column] == pytest.approx(train[column].std(ddof=0), rel=1e-9)
        # the oracle can tell: the rows before the window give another scaler
        earlier = series.iloc[:val_start]["Global_active_power"].mean()
        assert scaler["center"]["Global_active_power"] != pytest.approx(earlier, rel=1e-6)
        assert (project / f"data/backtest/fold_{fold}/06_models/checkpoints").is_dir()
    assert not (project / "data/06_models/checkpoints").exists()  # the plain run's stay apart
    summary_is_made_of_the_folds(project)


def summary_is_made_of_the_folds(project: Path) -> None:
    """backtest_metrics.json: each fold's metrics.json, and their mean and std."""
    summary = load(project, "data/backtest/backtest_metrics.json")
    folds = [load(project, f"data/backtest/fold_{k}/08_reporting/metrics.json") for k in (1, 2)]
    for record, metrics in zip(summary["folds"], folds, strict=True):
        assert record["metrics"]["model"]["mae"] == metrics["model"]["overall"]["mae"]
        assert set(record["metrics"]) == {"model", *metrics["baselines"]}
    for name in ("model", "seasonal_naive"):
        for metric in METRICS:
            values = [f["metrics"][name][metric] for f in summary["folds"]]
            cell = summary["summary"][name][metric]
            assert cell["mean"] == pytest.approx(np.mean(values))
            assert cell["std"] == pytest.approx(np.std(values, ddof=1))
    report = (project / "data/backtest/backtest_report.md").read_text()
    assert "## Fold 2" in report and "(plots/backtest_folds.png)" in report
    assert (project / "data/backtest/plots/backtest_folds.png").stat().st_size > 0


def test_one_fold_alone_equals_a_plain_run_at_its_dates(tmp_path):
    project = new_project(tmp_path / "project")
    backtest_settings(project, folds=3, window="expanding", val_rows=24, test_rows=48)
    run_in_process(project, "ingestion", params=TINY)
    run_namespace(project, "backtest.fold_3", TINY)  # the last fold: it ends with the series

    assert not (project / "data/backtest/fold_1").exists()
    assert not (project / "data/backtest/backtest_metrics.json").exists()
    ranges = load(project, "data/backtest/fold_3/04_feature/split_ranges.json")
    series = pd.read_parquet(project / SERIES)
    val_start, test_start = series.index[ROWS - 48 - 24], series.index[ROWS - 48]
    assert (ranges["val"]["start"], ranges["test"]["start"]) == (str(val_start), str(test_start))

    split = {"method": "timestamps", "val_start": str(val_start), "test_start": str(test_start)}
    stages = ("normalisation", "windowing", "modelling", "training", "evaluation")
    run_in_process(project, *stages, params={**TINY, "normalisation": {"split": split}})

    plain = load(project, "data/08_reporting/metrics.json")
    fold = load(project, "data/backtest/fold_3/08_reporting/metrics.json")
    assert plain["windows"] == fold["windows"]
    assert fold["model"]["overall"] == pytest.approx(plain["model"]["overall"], rel=1e-9)
    for name, baseline in plain["baselines"].items():
        assert fold["baselines"][name]["overall"] == pytest.approx(baseline["overall"], rel=1e-9)
    scaler = load(project, "data/04_feature/scaler.json")
    assert (
        load(project, "data/backtest/fold_3/04_feature/scaler.json")["center"] == scaler["center"]
    )


def test_bad_backtest_settings_are_refused_before_anything_is_written(tmp_path):
    from kedro.framework.project import pipelines

    project = new_project(tmp_path / "project")
    backtest_settings(project, folds=2, test_rows=48, val_rows=24)

    for params, named in (
        ({"backtest": {"window": "sliding"}}, "train_rows = None: window 'sliding'"),
        ({"backtest": {"folds": 0}}, "backtest.folds = 0"),
    ):
        with pytest.raises(Exception, match=named):  # noqa: B017 (Kedro's validation error)
            run_in_process(project, "ingestion", "backtest", params=params)
        assert not (project / SERIES).exists()  # not even ingestion ran
    assert not any(node.namespace for node in pipelines["__default__"].nodes)  # on demand

    run_in_process(project, "ingestion", params=TINY)
    refused = (
        ({"backtest": {"test_rows": 200}}, r"before the series' first row .*test_rows = 200"),
        ({"backtest": {"folds": 3}}, r"backtest.folds = 3, but .* built with 2"),
        ({"task": "classification"}, r"task = 'classification'"),
    )
    for params, named in refused:
        with pytest.raises(Exception, match=named):  # noqa: B017 (raised inside Kedro's runner)
            run_in_process(project, "backtest", params={**TINY, **params})
        assert not (project / "data/backtest").exists()
