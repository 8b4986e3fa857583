"""Settings that cannot work stop the run before any node, with every problem listed."""

import json
import time

import pytest

from lstm_pipeline.preflight import PreflightError, preflight
from tests.framework.test_settings import load_parameters

EVERYTHING = {"ingestion", "normalisation", "windowing", "modelling", "training", "evaluation"}


def nothing_stored(name):
    return None


def parameters(**changes) -> dict:
    """conf/base parameters with ``{"block.key": value}`` changes (dots for nesting)."""
    params = load_parameters()
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = params
        for key in path:
            target = target[key]
        target[last] = value
    return params


def problems(error: PreflightError) -> list[str]:
    return [line[2:] for line in str(error).splitlines() if line.startswith("- ")]


def test_the_default_settings_pass():
    preflight(parameters(), EVERYTHING, nothing_stored)


def test_every_problem_is_listed_in_one_error_with_path_value_and_what_is_allowed():
    bad = parameters(
        evaluation__drift_lag=168,
        planning__steps=0,
        normalisation__scaler="zscore",
    )
    bad["training"]["tbptt"] = {"enabled": True}
    bad["windowing"]["stride"] = 200  # layout auto -> windows
    with pytest.raises(PreflightError) as error:
        preflight(bad, EVERYTHING, nothing_stored)
    listed = problems(error.value)
    assert any(p.startswith("planning.steps = 0: Input should be greater") for p in listed)
    assert any(p.startswith("normalisation.scaler = 'zscore': Input should be") for p in listed)
    assert any(p.startswith("training.tbptt.enabled = True:") and "'windows'" in p for p in listed)
    assert any(p.startswith("evaluation.drift_lag = 168:") and "167" in p for p in listed)
    assert "nothing was run" in str(error.value)


def test_cross_stage_checks_read_the_stored_record_when_windowing_does_not_run():
    record = {
        "input_length": 24,
        "layout": "segments",
        "target_columns": ["Global_active_power"],
        "splits": {"train": {"windows": 100}},
    }
    stored = {"windowing_record": record}.get
    preflight(parameters(evaluation__drift_lag=23), {"evaluation"}, stored)
    with pytest.raises(PreflightError, match=r"windowing.input_length - 1 = 23 \(stored"):
        preflight(parameters(evaluation__drift_lag=48), {"evaluation"}, stored)
    with pytest.raises(PreflightError, match="larger than the 100 windows"):
        preflight(parameters(training__batch_size=256), {"training"}, stored)


def test_training_alone_refuses_a_stored_model_built_for_other_settings():
    summary = {"dtype_policy": "float32", "truncated_bptt": {"enabled": False}}
    stored = {"model_summary": summary}.get
    with pytest.raises(PreflightError) as error:
        preflight(parameters(training__precision="mixed_float16"), {"training"}, stored)
    assert problems(error.value)[0].startswith("training.precision = 'mixed_float16': the stored")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "modelling__architecture": "hierarchical",
                "modelling__hierarchical": {"chunk_length": 25},
            },
            "modelling.hierarchical.chunk_length = 25: must divide",
        ),
        ({"windowing__features": ["Voltage"]}, "windowing.features = ['Voltage']: must include"),
        ({"evaluation__units": {"Voltage": "V"}}, "evaluation.units = {'Voltage': 'V'}: names"),
    ],
)
def test_cross_stage_constraints(changes, expected):
    with pytest.raises(PreflightError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        preflight(parameters(**changes), EVERYTHING, nothing_stored)


def test_a_kedro_run_with_a_bad_setting_stops_within_seconds_and_writes_nothing(project):
    from tests.conftest import run_kedro

    started = time.monotonic()
    result = run_kedro(project, "--params", "evaluation.drift_lag=100000")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "PreflightError" in output and "evaluation.drift_lag = 100000" in output
    assert time.monotonic() - started < 30
    written = [p for p in (project / "data").rglob("*") if p.is_file()]
    assert [p.name for p in written] == ["household_power_14days.csv.xz"]


def test_the_task_must_be_known_and_match_the_stored_record():
    with pytest.raises(PreflightError, match=r"task = 'regression': must be one of"):
        preflight(parameters(task="regression"), EVERYTHING, nothing_stored)
    stored = {"windowing_record": {"task": "forecast", "input_length": 24}}.get
    with pytest.raises(PreflightError, match="written for 'forecast'"):
        preflight(parameters(task="classification"), {"training"}, stored)


def test_classification_skips_the_forecasting_window_checks_and_checks_its_own():
    # a drift lag longer than the input window means nothing to a classifier
    classify = parameters(task="classification", evaluation__drift_lag=100000)
    preflight(classify, EVERYTHING, nothing_stored)
    classify["training"]["tbptt"] = {"enabled": True}
    with pytest.raises(PreflightError, match="training.tbptt.enabled = True: truncated BPTT"):
        preflight(classify, EVERYTHING, nothing_stored)


def test_named_class_weights_are_checked_against_the_stored_label_mapping():
    stored = {
        "label_mapping": {"classes": ["1", "2"]},
        "windowing_record": {"task": "classification"},
    }.get
    weights = parameters(task="classification", training__class_weight={"2": 3.0})
    preflight(weights, {"training", "evaluation"}, stored)
    weights["training"]["class_weight"] = {"7": 3.0}
    with pytest.raises(PreflightError, match=r"training.class_weight = \{'7': 3.0\}: names"):
        preflight(weights, {"training", "evaluation"}, stored)
    preflight(weights, EVERYTHING, stored)  # ingestion runs: the classes are not known yet


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"windowing__future_features": "calendar"},
            "windowing.future_features = 'calendar': normalisation.calendar_features is empty",
        ),
        (
            {"windowing__future_features": ["Global_active_power"]},
            "include the target(s) ['Global_active_power']",
        ),
        (
            {
                "normalisation__calendar_features": ["hour_of_day"],
                "windowing__future_features": "calendar",
                "training__tbptt": {"enabled": True},
            },
            "training.tbptt.enabled = True: the stateful model of truncated BPTT takes no side",
        ),
        (
            {"normalisation__series_input": "embedding", "windowing__layout": "windows"},
            "normalisation.series_input = 'embedding': the series code is read from 'segments'",
        ),
        (
            {"windowing__future_features": ["Voltage"], "windowing__layout": "windows"},
            "future_features need layout 'segments'",
        ),
    ],
)
def test_side_inputs_that_cannot_work_stop_the_run(changes, expected):
    with pytest.raises(PreflightError) as error:
        preflight(parameters(**changes), EVERYTHING, nothing_stored)
    assert any(expected in line for line in problems(error.value)), problems(error.value)


def test_calendar_future_features_with_calendar_features_pass():
    changes = {
        "normalisation__calendar_features": ["hour_of_day"],
        "windowing__future_features": "calendar",
    }
    preflight(parameters(**changes), EVERYTHING, nothing_stored)


def test_the_dask_engine_is_checked_and_refused_for_classification_data_stages():
    with pytest.raises(PreflightError, match=r"engine.n_workers = 0: Input should be greater"):
        preflight(parameters(engine__n_workers=0), EVERYTHING, nothing_stored)
    preflight(parameters(engine__name="dask"), EVERYTHING, nothing_stored)  # forecasting: fine
    classify = parameters(task="classification", engine__name="dask")
    with pytest.raises(PreflightError, match="engine.name = 'dask': task classification"):
        preflight(classify, EVERYTHING, nothing_stored)
    preflight(classify, {"training", "evaluation"}, nothing_stored)  # no data stage: fine


def test_multi_worker_needs_a_usable_tf_config(monkeypatch):
    multi = parameters(training__distribution="multi_worker")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(PreflightError, match="'multi_worker': the TF_CONFIG environment"):
        preflight(multi, EVERYTHING, nothing_stored)
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["localhost:1"]}, "task": {}}')
    with pytest.raises(PreflightError, match="TF_CONFIG must be JSON like"):
        preflight(multi, EVERYTHING, nothing_stored)
    cluster = {"worker": ["localhost:1", "localhost:2"]}
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 2}})
    )
    with pytest.raises(PreflightError, match="task index 2 is not among its 2 worker"):
        preflight(multi, EVERYTHING, nothing_stored)
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    )
    preflight(multi, EVERYTHING, nothing_stored)
    preflight(multi, {"evaluation"}, nothing_stored)  # no training: TF_CONFIG not read


def test_checkpoints_and_tensorboard_logs_stay_on_a_local_disk():
    bucket = parameters(training__checkpoint_dir="s3://bucket/checkpoints")
    with pytest.raises(PreflightError, match=r"training.checkpoint_dir = .*object stores cannot"):
        preflight(bucket, EVERYTHING, nothing_stored)


def test_the_studys_model_and_training_changes_are_checked_before_it_runs():
    study = parameters()
    study["study"]["training"]["learning_rate"] = -1
    with pytest.raises(PreflightError, match=r"study: training.learning_rate = -1"):
        preflight(study, {"study"}, nothing_stored)
    preflight(study, EVERYTHING, nothing_stored)  # the study does not run: not its concern
