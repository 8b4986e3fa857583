"""The study in SQLite: opened or resumed, trials a kill left RUNNING retried, and
``n_trials`` as a total over every run of the study (Optuna counts it per call).

    >>> study = open_study("data/06_models/tuning/study.db", "lstm", seed=42)
    >>> recover_interrupted(study)   # trial numbers failed and queued again
    []
    >>> remaining_trials(study, n_trials=20)
    20
"""

from pathlib import Path

import optuna
from optuna.trial import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
RETRY_OF = "retry_of"  # user attribute: the number of the interrupted trial a retry repeats
RESUMES = "resumes"  # user attribute: the first trial of that chain, whose checkpoints it uses


def open_study(
    path: str | Path,
    name: str,
    seed: int,
    startup_trials: int = 5,
    pruner_startup_trials: int = 3,
    warmup_epochs: int = 1,
) -> optuna.Study:
    """The study ``name`` stored in the SQLite file ``path`` (created when new), minimising,
    with a TPE sampler (random for its first ``startup_trials``) and a median pruner that
    compares from ``pruner_startup_trials`` finished trials on, after ``warmup_epochs``
    epochs of each trial.

    The sampler's seed is ``seed`` plus the trials already stored: a fresh study is
    reproducible, and a resumed one does not draw its first random points again."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=name,
        storage=optuna.storages.RDBStorage(f"sqlite:///{path.resolve()}"),
        direction="minimize",
        load_if_exists=True,
        pruner=optuna.pruners.MedianPruner(
            n_startup_trials=pruner_startup_trials, n_warmup_steps=warmup_epochs
        ),
    )
    drawn = len(study.get_trials(deepcopy=False))
    study.sampler = optuna.samplers.TPESampler(seed=seed + drawn, n_startup_trials=startup_trials)
    return study


def recover_interrupted(study: optuna.Study) -> list[int]:
    """Fail each trial a killed run left RUNNING (Optuna never does, without heartbeats)
    and queue its parameters again, marked ``retry_of`` (that trial) and ``resumes`` (the
    first trial of the chain, whose checkpoints a retry resumes); the numbers of those
    trials.

    One process runs a study at a time here: a RUNNING trial at start is a dead one.
    """
    interrupted = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in interrupted:
        study.tell(trial.number, state=TrialState.FAIL)
        first = trial.user_attrs.get(RESUMES, trial.number)  # a retry killed in turn
        study.enqueue_trial(trial.params, user_attrs={RETRY_OF: trial.number, RESUMES: first})
    return [trial.number for trial in interrupted]


def counted_trials(study: optuna.Study) -> int:
    """Trials that count towards ``n_trials``: every finished one (complete, pruned or
    failed) but those failed by an interruption, whose retry counts instead."""
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs[RETRY_OF] for t in trials if RETRY_OF in t.user_attrs}
    return sum(t.state in FINISHED and t.number not in retried for t in trials)


def remaining_trials(study: optuna.Study, n_trials: int) -> int:
    """How many more trials make ``n_trials`` in all (never below 0)."""
    return max(0, n_trials - counted_trials(study))


def enqueue_once(study: optuna.Study, points: list[dict]) -> int:
    """Queue ``points`` (parameter values to try first) on a study without trials yet; a
    resumed study has queued them already. How many were queued."""
    if study.get_trials(deepcopy=False):
        return 0
    for point in points:
        study.enqueue_trial(point)
    return len(points)
