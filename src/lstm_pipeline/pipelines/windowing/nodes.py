"""Windowing nodes: a normalised split -> a job the shards dataset writes, streaming.

The same nodes serve both tasks (``params:task``, carried in the settings): forecasting
cuts windows from series, classification stores each labelled case whole. Each node looks
the task's library function up in a small table.
"""

import logging
from typing import get_args

from lstm_pipeline.errors import SettingsError, WindowingError
from lstm_pipeline.evaluation.history import check_seasonal_history
from lstm_pipeline.ingest.many import SERIES
from lstm_pipeline.parallel.engine import DaskMapper, EngineParams, engine_params
from lstm_pipeline.pipelines.evaluation.params import EvaluationParams
from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.scaling.calendar import CalendarFeature, calendar_columns
from lstm_pipeline.task import TASKS
from lstm_pipeline.windows import labelled
from lstm_pipeline.windows.context import WithContext
from lstm_pipeline.windows.fitting import require_columns, require_rows, require_windows
from lstm_pipeline.windows.many import ManySeries, series_blocks
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import ShardJob, WindowingJob, stored_columns

logger = logging.getLogger(__name__)


def check_windows_fit(
    train,
    val,
    test,
    params: WindowingParams,
    task: str,
    evaluation: EvaluationParams,
    engine: EngineParams | None = None,
) -> dict:
    """Check every split before any is written, so that a bad setting replaces no shards
    (and, forecasting, that the test split has the history its seasonal-naive baseline
    reads back through, before anything trains).

    Args:
        train, val, test: the normalised splits (ParquetSeries, or ParquetSequences for
            classification).
        params: the windowing parameters. task: ``params:task``.
        evaluation: the evaluation parameters (forecast: ``seasonal_period``).
        engine: ``params:engine``: forecasting on ``dask`` has each shard written by a worker.

    Returns:
        The checked settings with the ``task`` and the ``engine``, persisted for the
        per-split nodes (which may run in other processes).

    Raises:
        ColumnNotFoundError, WindowingError: naming the split at fault (forecasting: a
            split without one complete window; classification: no train or test case).
    """
    splits = {"train": train, "val": val, "test": test}
    _lookup(_FIT_CHECKS, task)(splits, params)
    if task == "forecast":
        _check_seasonal_history(splits, params, evaluation.seasonal_period)
    return {**params.model_dump(), "task": task, "engine": engine_params(engine).model_dump()}


def _check_seasonal_history(splits: dict, params: WindowingParams, lag: int) -> None:
    """The first test target needs ``lag`` steps of series before it (seasonal naive reads
    back through the earlier splits, so a year-ago lag needs a year before the test)."""
    train, test = splits["train"], splits["test"]
    windowed = _with_context(test, (train, splits["val"]), params)
    grid, need = train.grid, params.input_length + params.offset
    first_target = int(grid.advance(_first_stamp(windowed), [need])[0])
    steps = grid.steps_between(_first_stamp(train), first_target)
    check_seasonal_history(steps, lag, f"'{test.path}'")


def _first_stamp(series) -> int:
    stamps, _ = next(iter(series.batches(series.columns[:1])))
    return int(stamps[0])


def _with_context(series: ParquetSeries, earlier: tuple, params: WindowingParams):
    """The split preceded by the earlier splits' last input_length + offset rows (with
    ``split_context``; the train split and a validation split turned off stay as they are)."""
    rows = params.input_length + params.offset
    with_context = params.split_context and earlier and not _turned_off(series)
    if series_blocks(series):  # many series: each windowed alone, after its own earlier rows
        return ManySeries(series, earlier if with_context else (), rows if with_context else 0)
    if not with_context:
        return series
    return WithContext(series, earlier, rows)


def windowing_job(series, windowing_settings: dict, *earlier) -> ShardJob:
    """Describe how to store this split; the shards dataset runs it, streaming.

    Args:
        series: one normalised split. windowing_settings: from ``check_windows_fit``.
        earlier: the splits before it, in time order (forecasting with
            ``split_context``: the first windows take their inputs from them).

    Returns:
        A WindowingJob (forecasting) or a SequenceJob (classification).
    """
    task, params = _settings(windowing_settings)
    job = _lookup(_JOBS, task)(series, params, earlier)
    engine = engine_params(windowing_settings.get("engine"))
    if task == "forecast" and engine.name == "dask":
        job.map_items = DaskMapper(engine)  # a cluster while the shards dataset writes
    return job


def record_windowing(
    windowing_settings: dict, train: ShardSet, val: ShardSet, test: ShardSet
) -> dict:
    """The stage record, written last: what every later stage needs to know of the shards
    (forecasting: shapes, columns, window arithmetic; classification: features, classes,
    lengths) and the size of each split. Its inputs must all come from one windowing run
    (checked before it runs), so a record exists only for a complete set of shards."""
    task, _ = _settings(windowing_settings)
    return _lookup(_RECORDS, task)({"train": train, "val": val, "test": test})


def _settings(settings: dict) -> tuple[str, WindowingParams]:
    """The task and the windowing parameters of persisted settings (forecast when they
    predate the run-wide task)."""
    params = {key: value for key, value in settings.items() if key not in ("task", "engine")}
    return settings.get("task", "forecast"), WindowingParams.model_validate(params)


def _lookup(table: dict, task: str):
    if task not in table:
        raise SettingsError(f"task = {task!r}: must be one of {list(TASKS)}")
    return table[task]


def _check_forecast_splits(splits: dict, params: WindowingParams) -> None:
    """The columns exist and each split holds at least one complete window (streamed over
    its row batches; see lstm_pipeline.windows.fitting), but for a validation split turned
    off (no rows: normalisation makes one only on purpose)."""
    for name, series in splits.items():
        _require_series(series, name)
        _split_of(series)  # a renamed split file fails here, before any shards are written
    in_order = list(splits.values())
    splits = {  # val and test as their jobs will read them (after the rows before them)
        name: _with_context(series, tuple(in_order[:i]), params)
        for i, (name, series) in enumerate(splits.items())
    }
    for series in splits.values():
        _check_fits(series, params)  # cheap checks of every split first
    for name, series in splits.items():
        if _turned_off(series):
            continue
        side = [*_future_columns(series, params), *([SERIES] if _embedded(series) else [])]
        columns = stored_columns(params.features or _inputs(series), params.targets, *side)
        spec = _spec(params, name)
        require_windows(series, columns, spec, f"'{series.path}' ({series.name})")


def _check_labelled_splits(splits: dict, params: WindowingParams) -> None:
    labelled.check_labelled_splits(splits, params.features)


def _sequence_job(series, params: WindowingParams, earlier: tuple):
    return labelled.sequence_job(series, params)  # whole cases: no context to add


def _forecast_job(series: ParquetSeries, params: WindowingParams, earlier: tuple) -> WindowingJob:
    _require_series(series, series.name)
    split = _split_of(series)
    series = _with_context(series, earlier, params)
    _check_fits(series, params)
    embedded = _embedded(series)
    layout = params.resolved_layout(split, side_inputs=embedded)
    _warn_if_windows_overlap(params, layout, split)
    return WindowingJob(
        source=series,
        spec=_spec(params, split),
        features=list(params.features or _inputs(series)),
        targets=list(params.targets),
        fmt=params.format,
        layout=layout,
        compression=params.compression,
        compression_level=params.compression_level,
        shard_mb=params.shard_mb,
        segment_rows=params.segment_rows,
        metadata={
            "split": series.name,
            "source": str(series.path),
            "parameters": params.model_dump(),
            "context_rows": getattr(series, "context_rows", 0),
        },
        allow_empty=_turned_off(series),
        future=_future_columns(series, params),
        series_code=SERIES if embedded else None,
        series_count=series.series_count if embedded else 0,
    )


def _forecast_record(shard_sets: dict[str, ShardSet]) -> dict:
    m = shard_sets["train"].manifest
    return {
        "task": "forecast",
        "input_length": m.input_length,
        "horizon": m.horizon,
        "offset": m.offset,
        "stride": m.stride,
        "frequency": m.frequency,
        "feature_columns": list(m.feature_columns),
        "target_columns": list(m.target_columns),
        "shapes": m.shapes,
        "future_columns": list(m.future_columns),
        "side_inputs": m.side_inputs,
        "format": m.format,
        "layout": m.layout,
        "splits": {
            name: {
                "windows": s.windows_total,
                "shards": len(s.manifest.shards),
                "stride": s.manifest.stride,
            }
            for name, s in shard_sets.items()
        },
    }


def _inputs(series) -> list[str]:
    """Every column of the split; of many series, but their code (never an input)."""
    many = isinstance(series, ManySeries) or bool(series_blocks(series))
    return [column for column in series.columns if not (many and column == SERIES)]


def _future_columns(series, params: WindowingParams) -> list[str]:
    """The columns given to the model over the horizon: as listed, or for ``calendar``
    every calendar column of the split. Raises WindowingError when ``calendar`` finds none."""
    if params.future_features != "calendar":
        return list(params.future_features)
    derived = calendar_columns(get_args(CalendarFeature))
    found = [column for column in series.columns if column in derived]
    if not found:
        raise WindowingError(
            f"windowing.future_features is 'calendar', but '{series.path}' holds no calendar "
            f"column: set normalisation.calendar_features (e.g. [hour_of_day, day_of_week])."
        )
    return found


def _embedded(series) -> bool:
    """Whether the model learns an embedding of the series identity (its code per window)."""
    return getattr(series, "series_input", None) == "embedding"


def _spec(params: WindowingParams, split: str = "train") -> WindowSpec:
    stride = params.stride_of(split)
    return WindowSpec(params.input_length, params.horizon, params.offset, stride)


def _split_of(series: ParquetSeries) -> str:
    """train, val or test, from the catalog's file name ({split}_series.parquet)."""
    split = series.name.split("_")[0]
    if split not in ("train", "val", "test"):
        raise WindowingError(
            f"'{series.path}': the windowing stage tells the splits apart by their file "
            f"names, train_series, val_series and test_series (conf/base/catalog.yml); keep "
            f"those names where an environment moves the files."
        )
    return split


def _warn_if_windows_overlap(params: WindowingParams, layout: str, split: str) -> None:
    stride = params.stride_of(split)
    if layout == "windows" and stride < params.span:
        logger.warning(
            "layout 'windows' with stride %d < span %d stores overlapping windows one by one: "
            "about %.0fx the split's bytes. 'segments' stores them once.",
            stride,
            params.span,
            params.span / stride,
        )


def _require_series(series, name: str) -> None:
    if not isinstance(series, ParquetSeries):
        raise WindowingError(
            f"The {name} split '{getattr(series, 'path', series)}' holds labelled sequences, "
            f"but task is 'forecast': set task: classification, or run the pipeline from "
            f"ingestion with task forecast."
        )


def _check_fits(series: ParquetSeries, params: WindowingParams) -> None:
    require_columns(series, "windowing.targets", params.targets, f"'{series.path}'")
    require_columns(series, "windowing.features", params.features or [], f"'{series.path}'")
    future = _future_columns(series, params)
    require_columns(series, "windowing.future_features", future, f"'{series.path}'")
    if _embedded(series) and params.layout == "windows":
        raise WindowingError(
            "normalisation.series_input 'embedding' needs windowing.layout 'segments' (or "
            "auto): layout 'windows' stores inputs and targets only."
        )
    if not _turned_off(series):
        context = getattr(series, "context_rows", 0)
        where = f"'{series.path}'" + (f" with {context} rows before it" if context else "")
        require_rows(series, _spec(params), where)


def _turned_off(series: ParquetSeries) -> bool:
    """The validation split of a run without validation (normalisation.split.val 0)."""
    return _split_of(series) == "val" and series.num_rows == 0


_FIT_CHECKS = {"forecast": _check_forecast_splits, "classification": _check_labelled_splits}
_JOBS = {"forecast": _forecast_job, "classification": _sequence_job}
_RECORDS = {"forecast": _forecast_record, "classification": labelled.labelled_record}
