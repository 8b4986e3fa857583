"""Tuning nodes: the stored shards + the search space -> a study of trials (each trained
on the train split and scored on the validation split, never on test), then its results:
best parameters, trials table and figures. The work lives in :mod:`lstm_pipeline.tuning`."""

from pathlib import Path

from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.pipelines.modelling.nodes import build_untrained_model
from lstm_pipeline.pipelines.tuning.params import TuningParams
from lstm_pipeline.pipelines.windowing.nodes import windowing_job
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.tuning.windows import ShardCache
from lstm_pipeline.windows.reader import ShardSet

STUDY_FILE = "study.db"


def run_study(
    windowing_record: dict,
    train_shards: ShardSet,
    val_shards: ShardSet,
    train_series,
    val_series,
    tuning: TuningParams,
    modelling: ModelSpec,
    training: TrainingConfig,
    seed: int,
    task: Task,
) -> dict:
    """Run (or resume) the study ``tuning.study_name`` until it holds ``tuning.n_trials``.

    Args:
        windowing_record, train_shards, val_shards: the windowing stage's output; a trial
            of another ``input_length`` windows ``train_series``/``val_series`` once for
            every trial of that length (forecasting).
        tuning: the search. modelling, training: what a trial does not change.
        seed: the sampler's seed and every trial's. task: ``params:task``.

    Returns:
        The study's record: where it is stored, this run's trials and the best so far.
    """
    from lstm_pipeline.tuning.runner import TrialSetup, optimise
    from lstm_pipeline.tuning.study import open_study

    folder = Path(tuning.folder)
    study = open_study(
        folder / STUDY_FILE,
        tuning.study_name,
        seed,
        tuning.startup_trials,
        tuning.pruner_startup_trials,
        tuning.pruner_warmup_epochs,
    )
    _enqueue_first(study, tuning.enqueue)
    setup = TrialSetup(
        space=tuning.space,
        modelling=modelling,
        training=training.model_copy(update={"epochs": tuning.epochs}),
        task=task,
        seed=seed,
        folder=folder / tuning.study_name,
        shards=_shard_cache(folder, train_shards, val_shards, (train_series, val_series), task),
        record=windowing_record,
        build=build_untrained_model,
    )
    done = optimise(study, setup, tuning.n_trials, tuning.timeout)
    return _study_record(study, folder / STUDY_FILE, done)


def _enqueue_first(study, points: list[dict]) -> None:
    from lstm_pipeline.tuning.study import enqueue_once

    enqueue_once(study, points)


def _shard_cache(folder: Path, train_shards, val_shards, series: tuple, task: str) -> ShardCache:
    """Shards by input length; new lengths windowed from the splits with the settings the
    stored shards were made with (their manifest's ``parameters``)."""
    stored = {"train": train_shards, "val": val_shards}
    settings = {**(getattr(train_shards.manifest, "parameters", None) or {}), "task": task}
    splits = dict(zip(("train", "val"), series, strict=True))

    def make_job(split: str, input_length: int):
        earlier = (splits["train"],) if split == "val" else ()  # val windows' context rows
        return windowing_job(splits[split], {**settings, "input_length": input_length}, *earlier)

    return ShardCache(folder / "windows", stored, make_job, settings)


def _study_record(study, path: Path, done: dict) -> dict:
    from lstm_pipeline.tuning.export import complete_trials

    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    best = None
    if complete_trials(study):
        trial = study.best_trial
        best = {"number": trial.number, "value": trial.value, "params": trial.params}
    return {"study": study.study_name, "storage": str(path), "states": states, "best": best, **done}


def export_study(tuning_record: dict, modelling: ModelSpec):
    """The study's results.

    Returns:
        The best complete trial's parameters, nested as in conf/ and only the tuned keys
        (a parameters file to copy into conf/<env>/; ``{}`` while no trial completed), the
        trials table, and the history, parameter-importance and parallel-coordinate
        figures.
    """
    import optuna

    from lstm_pipeline.tuning.export import best_parameters, figures, trials_table

    storage = f"sqlite:///{Path(tuning_record['storage']).resolve()}"
    study = optuna.load_study(study_name=tuning_record["study"], storage=storage)
    plots = figures(study)
    return (
        best_parameters(study, modelling),
        trials_table(study),
        plots["history"],
        plots["importance"],
        plots["parallel"],
    )
