"""Preflight: every setting, and every constraint between stages, checked before any node runs.

Kedro validates each ``params:<key>`` a running node asks for against its pydantic model
when the run starts (``ParameterValidationError``). This hook extends that mechanism, at
the same moment: it validates every parameter model of the project (not only those of the
stages that run) and the constraints that span stages, reading what earlier stages stored
(the windowing record, the model summary) when those stages are not part of the run, e.g.
``kedro run --pipelines=evaluation``. All problems are reported in one error, each as
``<dotted.parameter> = <value>: <what is allowed>``, and the run stops before any node has
read or written anything.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from kedro.framework.hooks import hook_impl
from kedro.validation import ParameterValidationError

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.parallel.engine import EngineParams
from lstm_pipeline.pipelines.backtest.params import BacktestParams
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.pipelines.ingestion.params import IngestionParams
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams
from lstm_pipeline.pipelines.planning.params import PlanningParams
from lstm_pipeline.pipelines.prediction.params import PredictionParams
from lstm_pipeline.pipelines.study.params import StudyParams, studied_settings
from lstm_pipeline.pipelines.tuning.params import TuningParams
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.task import TASKS
from lstm_pipeline.tracking.params import TrackingParams
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.tuning.space import RECURRENT_KEYS

PARAMETER_MODELS = {
    model.parameter_key: model
    for model in (
        IngestionParams,
        NormalisationParams,
        WindowingParams,
        EngineParams,
        ModelSpec,
        TrainingConfig,
        EvaluationParams,
        PlanningParams,
        BacktestParams,
        PredictionParams,
        TrackingParams,
        TuningParams,
        StudyParams,
    )
}


class PreflightError(SettingsError, ParameterValidationError):
    """Settings that cannot work, alone or together: every problem, before any node runs."""


@dataclass
class RunSettings:
    """What the checks look at: the valid parameter models, the stages in this run, and
    ``stored(name)``, an artifact an earlier run wrote (None when absent)."""

    models: dict
    stages: set[str]
    stored: Callable[[str], dict | None]
    problems: list[str] = field(default_factory=list)
    task: str = "forecast"

    def runs(self, *stages: str) -> bool:
        return bool(self.stages.intersection(stages))

    def windows(self) -> dict | None:
        """The window settings this run will use: its own windowing parameters when
        windowing runs, else the record of the last complete windowing run."""
        if "windowing" in self.stages or self.stored("windowing_record") is None:
            windowing = self.models.get("windowing")
            if windowing is None:
                return None
            return {**windowing.model_dump(), "layout": windowing.resolved_layout(), "from": ""}
        record = self.stored("windowing_record")
        return {**record, "from": " (stored windowing_record)"}


def validate_models(parameters: dict) -> tuple[dict, list[str]]:
    """Each known top-level parameter validated by its model: (valid models, problems)."""
    models, problems = {}, []
    for key, model in PARAMETER_MODELS.items():
        if key not in parameters:
            continue
        value = parameters[key]
        raw = value.model_dump() if hasattr(value, "model_dump") else value
        try:
            models[key] = model.model_validate(raw)
        except SettingsError as exc:
            problems.extend(str(exc).splitlines())
    return models, problems


def check_drift_lag(run: RunSettings) -> None:
    windows, evaluation = run.windows(), run.models.get("evaluation")
    if not run.runs("evaluation") or windows is None or evaluation is None:
        return
    lag, length = evaluation.drift_lag, windows["input_length"]
    if lag is not None and lag > length - 1:
        run.problems.append(
            f"evaluation.drift_lag = {lag}: the drift baseline draws its line through the "
            f"value that many steps before the last input, so it must be at most "
            f"windowing.input_length - 1 = {length - 1}{windows['from']}"
        )


def check_truncated_bptt(run: RunSettings) -> None:
    training, windows = run.models.get("training"), run.windows()
    if training is None or not training.tbptt.enabled or not run.runs("modelling", "training"):
        return
    if windows is not None and windows["layout"] != "segments":
        run.problems.append(
            f"training.tbptt.enabled = True: truncated BPTT reads the series as contiguous "
            f"'segments' shards, but windowing.layout is '{windows['layout']}'"
            f"{windows['from']}; set windowing.layout: segments"
        )
    spec = run.models.get("modelling")
    if spec is None:
        return
    if spec.architecture not in ("lstm", "gru") or spec.dense_units or spec.time_distributed_units:
        run.problems.append(
            f"modelling.architecture = '{spec.architecture}': truncated BPTT trains stacked "
            f"'lstm' or 'gru' layers with a per-step head (no dense_units or "
            f"time_distributed_units)"
        )
    if spec.recurrent.bidirectional:
        run.problems.append(
            "modelling.recurrent.bidirectional = True: a backward layer cannot carry its "
            "state forward across chunks; turn it off for truncated BPTT"
        )


def check_side_inputs(run: RunSettings) -> None:
    """Future features and a series embedding need window models over segments shards,
    and ``calendar`` future features need calendar features to exist."""
    windowing, normalisation = run.models.get("windowing"), run.models.get("normalisation")
    future = windowing.future_features if windowing and run.runs("windowing") else []
    embedded = normalisation is not None and normalisation.series_input == "embedding"
    embedded = embedded and run.runs("normalisation", "windowing")
    if future == "calendar" and normalisation and not normalisation.calendar_features:
        run.problems.append(
            "windowing.future_features = 'calendar': normalisation.calendar_features is "
            "empty, so there is no calendar column to give the model; name some, e.g. "
            "[hour_of_day, day_of_week]"
        )
    side = [
        name
        for name, on in (
            ("windowing.future_features", future),
            ("normalisation.series_input 'embedding'", embedded),
        )
        if on
    ]
    training = run.models.get("training")
    if side and training is not None and training.tbptt.enabled:
        run.problems.append(
            f"training.tbptt.enabled = True: the stateful model of truncated BPTT takes no "
            f"side inputs, but {' and '.join(side)} give the model some; turn one off"
        )
    if embedded and windowing is not None and windowing.layout == "windows":
        run.problems.append(
            "normalisation.series_input = 'embedding': the series code is read from "
            "'segments' shards, but windowing.layout is 'windows'; set it to auto or segments"
        )


def check_hierarchical_chunks(run: RunSettings) -> None:
    spec, windows = run.models.get("modelling"), run.windows()
    if not run.runs("modelling") or spec is None or windows is None:
        return
    chunk, length = spec.hierarchical.chunk_length, windows["input_length"]
    if spec.architecture == "hierarchical" and length % chunk:
        run.problems.append(
            f"modelling.hierarchical.chunk_length = {chunk}: must divide "
            f"windowing.input_length = {length}{windows['from']}"
        )


def check_baseline_inputs(run: RunSettings) -> None:
    windowing = run.models.get("windowing")
    if not run.runs("windowing") or windowing is None or windowing.features is None:
        return
    absent = [t for t in windowing.targets if t not in windowing.features]
    if absent:
        run.problems.append(
            f"windowing.features = {list(windowing.features)}: must include the targets "
            f"{absent}, because the naive baselines read their past values from the inputs"
        )


def check_units_name_targets(run: RunSettings) -> None:
    evaluation, windows = run.models.get("evaluation"), run.windows()
    if not run.runs("evaluation") or evaluation is None or windows is None:
        return
    targets = windows.get("targets") or windows.get("target_columns") or []
    strangers = sorted(set(evaluation.units) - set(targets))
    if strangers:
        run.problems.append(
            f"evaluation.units = {dict(evaluation.units)}: names {strangers}, which are not "
            f"targets; the targets are {list(targets)}{windows['from']}"
        )


def check_stored_model(run: RunSettings) -> None:
    """Training alone trains the stored untrained model: it must suit the training settings."""
    training, summary = run.models.get("training"), run.stored("model_summary")
    if not run.runs("training") or run.runs("modelling") or training is None or not summary:
        return
    built = summary.get("dtype_policy")
    if built and built != training.precision:
        run.problems.append(
            f"training.precision = '{training.precision}': the stored untrained model was "
            f"built for '{built}'; run the modelling pipeline with the same setting "
            f"(kedro run --pipelines=modelling,training)"
        )
    stored_tbptt = summary.get("truncated_bptt", {}).get("enabled", False)
    if stored_tbptt != training.tbptt.enabled:
        run.problems.append(
            f"training.tbptt.enabled = {training.tbptt.enabled}: the stored untrained model "
            f"was built with truncated BPTT {'on' if stored_tbptt else 'off'}; run the "
            f"modelling pipeline with the same setting"
        )


def check_quantile_loss(run: RunSettings) -> None:
    """A quantile head trains on the pinball loss: another loss asked for contradicts it."""
    spec, training = run.models.get("modelling"), run.models.get("training")
    if spec is None or training is None or not spec.quantiles or not run.runs("training"):
        return
    if training.loss != "mse":
        run.problems.append(
            f"training.loss = '{training.loss}': with modelling.quantiles = {spec.quantiles} "
            f"the model trains on the pinball loss over those levels; leave training.loss at "
            f"its default mse (unused then) or set modelling.quantiles: null"
        )


def check_stored_quantiles(run: RunSettings) -> None:
    """Training alone trains the stored untrained model: its quantile head must be the one
    modelling.quantiles describes."""
    spec, summary = run.models.get("modelling"), run.stored("model_summary")
    if not run.runs("training") or run.runs("modelling") or spec is None or not summary:
        return
    built = (summary.get("spec") or {}).get("quantiles")
    if built != spec.quantiles:
        run.problems.append(
            f"modelling.quantiles = {spec.quantiles}: the stored untrained model was built "
            f"with quantiles {built}; run the modelling pipeline with the same setting "
            f"(kedro run --pipelines=modelling,training)"
        )


def check_batch_fits(run: RunSettings) -> None:
    training, record = run.models.get("training"), run.stored("windowing_record")
    if not run.runs("training") or run.runs("windowing") or training is None or not record:
        return
    windows = record["splits"]["train"]["windows"]
    fixed = isinstance(training.batch_size, int) and not training.tbptt.enabled
    if fixed and training.batch_size > windows:
        run.problems.append(
            f"training.batch_size = {training.batch_size}: larger than the {windows} windows "
            f"of the stored train shards"
        )


def check_stored_task(run: RunSettings) -> None:
    """A stage that reads what an earlier run stored must read the same task's artifacts."""
    record = None if run.runs("windowing") else run.stored("windowing_record")
    stages = ("modelling", "training", "evaluation", "planning", "prediction", "tuning")
    if not record or not run.runs(*stages):
        return
    stored = record.get("task", "forecast")
    if stored != run.task:
        run.problems.append(
            f"task = '{run.task}': the stored windowing_record was written for '{stored}'; "
            f"run the whole pipeline (or from ingestion) for task '{run.task}'"
        )


def check_classification_training(run: RunSettings) -> None:
    training = run.models.get("training")
    if run.task != "classification" or training is None or not run.runs("modelling", "training"):
        return
    if training.tbptt.enabled:
        run.problems.append(
            "training.tbptt.enabled = True: truncated BPTT trains forecasting streams; a "
            "classifier of long sequences uses modelling.architecture: hierarchical (chunked)"
        )


def check_classification_quantiles(run: RunSettings) -> None:
    spec = run.models.get("modelling")
    if spec is None or not spec.quantiles or not run.runs("modelling", "planning", "training"):
        return
    run.problems.append(
        f"modelling.quantiles = {spec.quantiles}: quantile forecasts are for task forecast; "
        f"a classifier predicts a probability per class. Set modelling.quantiles: null"
    )


def check_class_weight_labels(run: RunSettings) -> None:
    """Named class weights must name classes of the stored label mapping (when ingestion is
    part of the run the classes are not known yet: training checks them as it starts)."""
    training = run.models.get("training")
    if not run.runs("training") or run.runs("ingestion") or training is None:
        return
    mapping = run.stored("label_mapping")
    if not isinstance(training.class_weight, dict) or not mapping:
        return
    classes = mapping.get("classes", [])
    unknown = sorted(set(training.class_weight) - set(classes))
    if unknown:
        run.problems.append(
            f"training.class_weight = {dict(training.class_weight)}: names {unknown}, which "
            f"are not classes of this data set; the classes (label_mapping) are {classes}"
        )


def _validation_off(run: RunSettings) -> str | None:
    """The parameter that leaves the validation split empty (None: it has one). Read from
    the parameters when normalisation is part of the run, else from the stored record."""
    normalisation = run.models.get("normalisation")
    record = None if run.runs("normalisation", "windowing") else run.stored("windowing_record")
    if record:
        val = record.get("splits", {}).get("val", {})
        empty = not (val.get("windows") or val.get("cases"))
    elif normalisation is not None and run.task == "classification":
        empty = normalisation.labelled.validation == 0
    else:
        empty = normalisation is not None and not normalisation.split.has_validation
    if not empty:
        return None
    if run.task == "classification":
        return "normalisation.labelled.validation"
    timestamps = normalisation is not None and normalisation.split.method == "timestamps"
    return "normalisation.split.val_start" if timestamps else "normalisation.split.val"


def check_tuning_validation(run: RunSettings) -> None:
    """Tuning scores trials on the validation split (never test): it must hold data."""
    if not run.runs("tuning"):
        return
    if not run.runs("windowing") and run.stored("windowing_record") is None:
        run.problems.append(
            "tuning: there are no stored shards to tune on; run the pipeline up to "
            "windowing first (kedro run --pipelines=ingestion,normalisation,windowing)"
        )
        return
    parameter = _validation_off(run)
    if parameter is not None:
        stored = "" if run.runs("normalisation", "windowing") else " (stored windowing_record)"
        run.problems.append(
            f"{parameter}: the validation split is empty{stored}, and tuning scores every "
            f"trial on it (never on test); give it a share (e.g. 0.15) and run from "
            f"normalisation: kedro run --pipelines=normalisation,windowing,tuning"
        )


def check_tuning_space(run: RunSettings) -> None:
    """Search-space entries the run's settings cannot honour."""
    tuning, training = run.models.get("tuning"), run.models.get("training")
    spec = run.models.get("modelling")
    if not run.runs("tuning") or tuning is None or training is None or spec is None:
        return
    space, problems = tuning.space, run.problems
    if space.input_length is not None and run.task == "classification":
        problems.append(
            "tuning.space.input_length: a classifier reads each case whole, so there is no "
            "input length to search for task classification; set it to null"
        )
    if training.batch_size == "auto" and space.batch_size is None:
        problems.append(
            "training.batch_size = 'auto': tuning trains each trial at a fixed batch size; "
            "set training.batch_size or a tuning.space.batch_size entry"
        )
    if training.tbptt.enabled:
        problems.append(
            "training.tbptt.enabled = True: tuning trains window models; turn truncated BPTT "
            "off for the search"
        )
    lowest = space.learning_rate and min(_entry_values(space.learning_rate))
    if lowest and lowest <= training.min_learning_rate:
        problems.append(
            f"tuning.space.learning_rate: its lowest value {lowest} must lie above "
            f"training.min_learning_rate = {training.min_learning_rate}"
        )
    _check_space_fits_model(spec, space, problems)


def _check_space_fits_model(spec: ModelSpec, space, problems: list[str]) -> None:
    """Recurrent entries need a recurrent model; low-rank cells have no dropout."""
    searched = [key for key in RECURRENT_KEYS if space.entries().get(key) is not None]
    if searched and spec.architecture in ("fcn", "resnet", "lstm_fcn", "transformer"):
        problems.append(
            f"tuning.space: {searched} change modelling.recurrent, which "
            f"modelling.architecture = '{spec.architecture}' does not use; set them to null"
        )
    if spec.low_rank is not None and space.dropout is not None:
        problems.append(
            f"tuning.space.dropout: modelling.low_rank = {spec.low_rank} uses factorised "
            "recurrent cells without dropout; set tuning.space.dropout or modelling.low_rank "
            "to null"
        )


def check_tuning_chunks(run: RunSettings) -> None:
    """A hierarchical model cuts its input into chunks: every searched length must divide."""
    tuning, spec = run.models.get("tuning"), run.models.get("modelling")
    if not run.runs("tuning") or tuning is None or spec is None:
        return
    entry = tuning.space.input_length
    if entry is None or spec.architecture != "hierarchical":
        return
    values = entry.choices if hasattr(entry, "choices") else range(entry.low, entry.high + 1)
    odd = [v for v in values if v % spec.hierarchical.chunk_length]
    if hasattr(entry, "step"):  # a range: the values a trial can draw
        odd = [v for v in odd if (v - entry.low) % entry.step == 0]
    if odd:
        run.problems.append(
            f"tuning.space.input_length: {odd[:5]} are not multiples of "
            f"modelling.hierarchical.chunk_length = {spec.hierarchical.chunk_length}"
        )


def _entry_values(entry) -> list:
    return list(entry.choices) if hasattr(entry, "choices") else [entry.low, entry.high]


def check_distribution(run: RunSettings) -> None:
    """multi_worker reads the cluster and this worker's place in it from TF_CONFIG."""
    from lstm_pipeline.trainer.distributed import tf_config_problem  # imports no TensorFlow

    training = run.models.get("training")
    if training is None or training.distribution != "multi_worker" or not run.runs("training"):
        return
    problem = tf_config_problem(os.environ.get("TF_CONFIG"))
    if problem:
        run.problems.append(f"training.distribution = 'multi_worker': {problem}")


def check_study_settings(run: RunSettings) -> None:
    """study.modelling / study.training merged into modelling / training must validate."""
    study = run.models.get("study")
    modelling, training = run.models.get("modelling"), run.models.get("training")
    if not run.runs("study") or None in (study, modelling, training):
        return
    try:
        studied_settings(study, modelling, training)
    except SettingsError as exc:
        run.problems.extend(f"study: {line}" for line in str(exc).splitlines())


def check_engine_task(run: RunSettings) -> None:
    """The Dask engine serves the forecasting data stages; classification's readers and
    per-case scalers run in this process only."""
    engine = run.models.get("engine")
    data_stages = run.runs("ingestion", "normalisation", "windowing")
    if engine is not None and engine.name == "dask" and data_stages:
        run.problems.append(
            "engine.name = 'dask': task classification runs its data stages in this process "
            "only; set engine.name: pandas (or task: forecast)."
        )


# checks that concern one task only, and those that concern both
FORECAST_CHECKS = (
    check_drift_lag,
    check_truncated_bptt,
    check_side_inputs,
    check_hierarchical_chunks,
    check_baseline_inputs,
    check_units_name_targets,
    check_batch_fits,
    check_quantile_loss,
    check_stored_quantiles,
)
CLASSIFICATION_CHECKS = (
    check_classification_training,
    check_class_weight_labels,
    check_classification_quantiles,
    check_engine_task,
)
SHARED_CHECKS = (
    check_stored_model,
    check_stored_task,
    check_tuning_validation,
    check_tuning_space,
    check_tuning_chunks,
    check_distribution,
    check_study_settings,
)
CHECKS = {
    "forecast": FORECAST_CHECKS + SHARED_CHECKS,
    "classification": CLASSIFICATION_CHECKS + SHARED_CHECKS,
}


def validate_task(parameters: dict) -> tuple[str, list[str]]:
    """The run's task, and a problem when it is not one of TASKS (then "forecast")."""
    task = parameters.get("task", "forecast")
    if task in TASKS:
        return task, []
    return "forecast", [f"task = {task!r}: must be one of {list(TASKS)}"]


def preflight(parameters: dict, stages: set[str], stored: Callable[[str], dict | None]) -> None:
    """Raise :class:`PreflightError` listing every problem with these settings for a run of
    ``stages``; ``stored(name)`` gives an artifact of an earlier run, or None."""
    task, problems = validate_task(parameters)
    models, model_problems = validate_models(parameters)
    run = RunSettings(models, stages, stored, problems + model_problems, task)
    for check in CHECKS[task] if not problems else ():  # no cross-checks for an unknown task
        check(run)
    if run.problems:
        listed = "\n".join(f"- {p}" for p in run.problems)
        raise PreflightError(
            f"The settings cannot work ({len(run.problems)} problem(s)); nothing was run:\n{listed}"
        )


class PreflightHooks:
    """Runs :func:`preflight` before the first node of every ``kedro run``."""

    @hook_impl
    def before_pipeline_run(self, pipeline, catalog) -> None:
        from lstm_pipeline.pipeline_registry import stage_of_nodes

        stage_of = stage_of_nodes()
        # a backtest fold's stage ('backtest.fold_2.training') is checked as its stage
        stages = {stage_of.get(n.name, n.name).rsplit(".", 1)[-1] for n in pipeline.nodes}

        def stored(name: str) -> dict | None:
            if name not in catalog or not catalog.exists(name):
                return None
            return catalog.load(name)

        preflight(catalog.load("parameters"), stages, stored)
