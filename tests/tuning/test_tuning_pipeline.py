"""`kedro run --pipelines=tuning` end to end on the finished tiny projects: trials train on
the stored shards (another input length windowed once), a hopeless trial is pruned, a
search killed mid-trial resumes without repeating a finished trial, and the results land
in the catalog; classification tunes on its validation cases."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import yaml

from lstm_pipeline.datasets import AtomicPlotlyDataset
from tests.conftest import UCR_TINY, copy_project, run_in_process

# trials 0-2 enqueued: two good learning rates (one at another input length), one hopeless
# (pruned at its 2nd epoch); trial 3 is the sampler's, killed after its 1st epoch, and retried
TUNING = """
modelling: {recurrent: {units: [4]}}
training: {batch_size: 16, min_learning_rate: 1.0e-7}
tuning:
  n_trials: 4
  epochs: 3
  startup_trials: 2
  pruner_startup_trials: 2
  pruner_warmup_epochs: 1
  space:
    batch_size: {choices: [16, 32]}
    input_length: {choices: [12, 24]}
    units: {low: 2, high: 6}
    layers: null
    cell: {choices: [lstm, gru]}
    learning_rate: {low: 1.0e-6, high: 1.0e-2, log: true}
    dropout: null
  enqueue:
    - {learning_rate: 0.01, input_length: 24, batch_size: 16}
    - {learning_rate: 0.005, input_length: 12, batch_size: 16}
    - {learning_rate: 1.0e-6, input_length: 24, batch_size: 16}
"""


def study_of(project: Path) -> optuna.Study:
    storage = f"sqlite:///{project / 'data/06_models/tuning/study.db'}"
    return optuna.load_study(study_name="lstm", storage=storage)


def wait_for_epoch_of_trial(db: Path, number: int, process, limit=120.0) -> None:
    """Until trial ``number`` is RUNNING with an epoch reported (read-only SQLite polls)."""
    query = (
        "SELECT t.state, COUNT(v.trial_intermediate_value_id) FROM trials t LEFT JOIN "
        "trial_intermediate_values v ON v.trial_id = t.trial_id WHERE t.number = ? "
        "GROUP BY t.trial_id"
    )
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
                    row = connection.execute(query, (number,)).fetchone()
            except sqlite3.OperationalError:  # tables not created yet, or a write lock
                row = None
            if row and row[0] == "RUNNING" and row[1] >= 1:
                return
        time.sleep(0.02)
    raise AssertionError(f"trial {number} never ran an epoch (exit code {process.poll()})")


def test_a_killed_search_resumes_without_repeating_finished_trials(finished_project, tmp_path):
    project = copy_project(finished_project, tmp_path / "project")
    (project / "conf" / "local" / "parameters_tuning.yml").write_text(TUNING)
    log = (tmp_path / "first.log").open("w")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    command = [sys.executable, "-m", "kedro", "run", "--pipelines=tuning"]
    process = subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=log)
    try:
        wait_for_epoch_of_trial(project / "data/06_models/tuning/study.db", 3, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    before = study_of(project).trials
    assert [t.state.name for t in before] == ["COMPLETE", "COMPLETE", "PRUNED", "RUNNING"]

    run_in_process(project, "tuning")

    after = study_of(project).trials
    states = [t.state.name for t in after]
    # 4 trials in all: the killed one does not count, its retry (trial 4) does
    assert states[:4] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL"] and len(states) == 5
    for old, new in zip(before[:3], after[:3], strict=True):  # finished: never run again
        assert new.datetime_complete == old.datetime_complete and new.value == old.value
    retry = after[4]
    assert retry.user_attrs["retry_of"] == 3 and retry.params == before[3].params
    assert retry.state.name in ("COMPLETE", "PRUNED")
    assert 0 not in retry.intermediate_values  # resumed from the killed trial's checkpoint
    assert after[2].intermediate_values.keys() == {0, 1}  # pruned at its 2nd epoch
    check_outputs(project, after)


def check_outputs(project: Path, trials) -> None:
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    best = min(complete, key=lambda t: t.value)
    parameters = yaml.safe_load((project / "data/06_models/tuning/best_parameters.yml").read_text())
    assert parameters["training"]["learning_rate"] == best.params["learning_rate"]
    assert parameters["windowing"] == {"input_length": best.params["input_length"]}
    assert parameters["modelling"]["recurrent"]["units"] == [best.params["units"]]
    table = pd.read_parquet(project / "data/08_reporting/tuning/trials.parquet")
    assert list(table["state"]) == [t.state.name for t in trials]
    reporting = project / "data/08_reporting/tuning"
    assert {p.name for p in reporting.glob("*.json")} == {
        "history.json",
        "importance.json",
        "parallel.json",
    }
    history = AtomicPlotlyDataset(filepath=str(reporting / "history.json")).preview()
    values = [v for trace in history["data"] for v in trace.get("y", []) if v is not None]
    assert min(values) == best.value  # kedro-viz's preview: the study's best in its history
    windowed = list((project / "data/06_models/tuning/windows").glob("len_12-*"))
    assert len(windowed) == 1  # input length 12 windowed once, 24 read from the stored shards
    applies_as_parameters(project, parameters)


def applies_as_parameters(project: Path, tuned: dict) -> None:
    """The best parameters, copied into an environment of their own, are what a run there
    trains with (an environment's files may not name one key twice, so not conf/local)."""
    from kedro.config import OmegaConfigLoader

    from lstm_pipeline import settings

    (project / "conf/tuned").mkdir()
    best = project / "data/06_models/tuning/best_parameters.yml"
    shutil.copy(best, project / "conf/tuned/parameters.yml")
    args = {**settings.CONFIG_LOADER_ARGS, "default_run_env": "tuned"}
    configured = OmegaConfigLoader(str(project / "conf"), **args)["parameters"]
    for section, values in tuned.items():
        for key, value in values.items():
            found = configured[section][key]
            assert found == value if not isinstance(value, dict) else value.items() <= found.items()


def test_classification_tunes_on_its_validation_cases(finished_classification_project, tmp_path):
    project = copy_project(finished_classification_project, tmp_path / "project")
    space = dict.fromkeys(("input_length", "layers", "dropout"))
    space |= {
        "batch_size": {"choices": [8, 16]},
        "units": {"low": 2, "high": 4},
        "cell": {"choices": ["lstm", "gru"]},
        "learning_rate": {"low": 1e-3, "high": 1e-2, "log": True},
    }
    params = {
        **UCR_TINY,
        "normalisation": {"labelled": {"validation": 0.3}},  # the ucr environment has none
        "modelling": {"architecture": "lstm", "recurrent": {"units": [4]}},
        "tuning": {"n_trials": 2, "epochs": 2, "space": space},
    }
    run_in_process(project, "normalisation", "windowing", "tuning", params=params, env="ucr")
    outputs = project / "data" / "ucr" / "ItalyPowerDemand"
    storage = f"sqlite:///{outputs / '06_models/tuning/study.db'}"
    trials = optuna.load_study(study_name="lstm", storage=storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 2  # too few to prune
    for trial in trials:  # the value: the best validation cross-entropy of its epochs
        assert trial.value == min(trial.intermediate_values.values())
        assert 0 <= trial.user_attrs["best_val_accuracy"] <= 1
    best = min(trials, key=lambda t: t.value)
    parameters = yaml.safe_load((outputs / "06_models/tuning/best_parameters.yml").read_text())
    assert set(parameters) == {"modelling", "training"}  # lineage: a comment
    assert parameters["training"] == {k: best.params[k] for k in ("batch_size", "learning_rate")}
