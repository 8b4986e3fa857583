"""The stored study: n_trials is a total over runs, a trial a kill left RUNNING is failed
and queued again on reopening, and the results export as the project's parameters."""

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.tuning.export import best_parameters, figures, trials_table
from lstm_pipeline.tuning.pruning import monitored_value, pruning_callback, report_epoch
from lstm_pipeline.tuning.study import (
    RESUMES,
    RETRY_OF,
    counted_trials,
    enqueue_once,
    open_study,
    recover_interrupted,
    remaining_trials,
)

DISTRIBUTIONS = {
    "learning_rate": FloatDistribution(1e-4, 1e-1, log=True),
    "cell": CategoricalDistribution(["lstm", "gru"]),
}


def told(study, state, value=None, **params):
    """A finished trial added to ``study`` (with ``params``, or none)."""
    trial = optuna.trial.create_trial(
        state=state,
        value=value,
        params=params,
        distributions={name: DISTRIBUTIONS[name] for name in params},
        intermediate_values={} if value is None else {0: value},
    )
    study.add_trial(trial)


def test_n_trials_counts_every_finished_trial_of_earlier_runs(tmp_path):
    study = open_study(tmp_path / "study.db", "s", seed=0)
    assert remaining_trials(study, 5) == 5
    for state, value in [(TrialState.COMPLETE, 1.0), (TrialState.COMPLETE, 2.0)]:
        told(study, state, value)
    told(study, TrialState.PRUNED)
    told(study, TrialState.FAIL)  # a diverged trial counts: it ran
    reopened = open_study(tmp_path / "study.db", "s", seed=0)
    assert counted_trials(reopened) == 4
    assert remaining_trials(reopened, 5) == 1
    assert remaining_trials(reopened, 3) == 0


def test_a_trial_left_running_by_a_kill_is_failed_and_retried_with_its_parameters(tmp_path):
    study = open_study(tmp_path / "study.db", "s", seed=0)
    told(study, TrialState.COMPLETE, 1.0)
    killed = study.ask(DISTRIBUTIONS)  # RUNNING in SQLite, as a killed process leaves it
    params = dict(killed.params)
    reopened = open_study(tmp_path / "study.db", "s", seed=0)
    assert recover_interrupted(reopened) == [killed.number]
    assert recover_interrupted(reopened) == []  # once only
    states = [t.state for t in reopened.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.WAITING]
    retry = reopened.trials[-1]
    assert retry.user_attrs[RETRY_OF] == killed.number
    assert retry.system_attrs["fixed_params"] == params
    # the killed trial does not count; its retry runs next and counts instead
    assert counted_trials(reopened) == 1
    trial = reopened.ask(DISTRIBUTIONS)
    assert trial.params == params and trial.number == retry.number
    # the retry killed in turn: retried again, resuming the first trial's checkpoints
    again = open_study(tmp_path / "study.db", "s", seed=0)
    assert recover_interrupted(again) == [retry.number]
    assert again.trials[-1].user_attrs == {RETRY_OF: retry.number, RESUMES: killed.number}
    assert counted_trials(again) == 1


def test_points_are_enqueued_on_a_new_study_only(tmp_path):
    study = open_study(tmp_path / "study.db", "s", seed=0)
    assert enqueue_once(study, [{"learning_rate": 0.01}, {"learning_rate": 0.001}]) == 2
    assert enqueue_once(study, [{"learning_rate": 0.01}]) == 0  # a resumed run
    assert [t.state for t in study.trials] == [TrialState.WAITING] * 2


def test_the_best_complete_trial_exports_as_nested_parameters_with_a_table_and_figures():
    study = optuna.create_study()
    assert best_parameters(study, ModelSpec()) == {}
    told(study, TrialState.COMPLETE, 0.5, learning_rate=0.01, cell="gru")
    only_one = figures(study)["importance"]
    assert "needs 2 complete trials" in only_one.layout.annotations[0].text
    told(study, TrialState.COMPLETE, 0.3, learning_rate=0.002, cell="lstm")
    told(study, TrialState.COMPLETE, 0.9, learning_rate=0.05, cell="gru")
    told(study, TrialState.PRUNED, None, learning_rate=0.0001, cell="gru")
    assert best_parameters(study, ModelSpec(architecture="gru")) == {
        "modelling": {"architecture": "lstm"},
        "training": {"learning_rate": 0.002},
    }
    table = trials_table(study)
    assert list(table["state"]) == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"]
    assert list(table["value"][:3]) == [0.5, 0.3, 0.9]
    assert {"params_learning_rate", "params_cell", "duration_s"} <= set(table.columns)
    plots = figures(study)
    assert set(plots) == {"history", "importance", "parallel"}
    bars = plots["importance"].data[0]
    assert set(bars.y) == {"learning_rate", "cell"}  # one bar per parameter
    assert len(plots["history"].data[0].x) == 3  # the complete trials' values


def test_pruning_reports_each_epoch_and_needs_the_validation_loss():
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1.0))
    trial = study.ask()
    report_epoch(trial, 0.5, 0)
    with pytest.raises(optuna.TrialPruned, match="after epoch 2"):
        report_epoch(trial, 2.0, 1)
    assert trial.storage.get_trial(trial._trial_id).intermediate_values == {0: 0.5, 1: 2.0}
    assert monitored_value({"val_loss": 0.25, "loss": 1}, "val_loss") == 0.25
    with pytest.raises(SettingsError, match="validation split is empty"):
        monitored_value({"loss": 1.0}, "val_loss")


def test_a_resumed_study_draws_new_random_points(tmp_path):
    def first_draws(study, n=3):
        drawn = []
        for _ in range(n):
            trial = study.ask(DISTRIBUTIONS)
            drawn.append(trial.params["learning_rate"])
            study.tell(trial, 1.0)
        return drawn

    fresh = first_draws(open_study(tmp_path / "a.db", "s", seed=7))
    assert first_draws(open_study(tmp_path / "b.db", "s", seed=7)) == fresh  # reproducible
    resumed = first_draws(open_study(tmp_path / "a.db", "s", seed=7))
    assert not set(resumed) & set(fresh)


def test_the_keras_callback_reports_val_loss_and_refuses_logs_without_it():
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1.0))
    trial = study.ask()
    callback = pruning_callback(trial)
    callback.on_epoch_end(0, {"loss": 3.0, "val_loss": 0.5})
    with pytest.raises(optuna.TrialPruned):
        callback.on_epoch_end(1, {"loss": 3.0, "val_loss": 1.5})
    with pytest.raises(SettingsError, match=r"hold only \['loss'\]"):
        callback.on_epoch_end(2, {"loss": 3.0})
