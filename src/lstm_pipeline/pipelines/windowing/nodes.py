"""Windowing node: a normalised split -> a WindowingJob the shards dataset writes, streaming."""

import logging

from lstm_pipeline.pipelines.windowing.params import WindowingParams
from lstm_pipeline.windows.fitting import require_columns, require_rows, require_windows
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob, stored_columns

logger = logging.getLogger(__name__)


def check_windows_fit(
    train: ParquetSeries, val: ParquetSeries, test: ParquetSeries, params: WindowingParams
) -> dict:
    """Check every split before any is written, so that a bad setting replaces no shards:
    the columns exist and each split holds at least one complete window (streamed over its
    row batches). Returns the checked settings, persisted for the per-split nodes (which
    may run in other processes). Raises ColumnNotFoundError or WindowingError naming the
    split (see lstm_pipeline.windows.fitting)."""
    splits = (train, val, test)
    for series in splits:
        _check_fits(series, params)  # cheap checks of every split first
    for series in splits:
        columns = stored_columns(params.features or series.columns, params.targets)
        require_windows(series, columns, _spec(params), f"'{series.path}' ({series.name})")
    return params.model_dump()


def windowing_job(series: ParquetSeries, settings: dict) -> WindowingJob:
    """Describe how to window and store this split; the shards dataset runs it, streaming."""
    params = WindowingParams.model_validate(settings)
    _check_fits(series, params)
    layout = params.resolved_layout()
    _warn_if_windows_overlap(params, layout)
    return WindowingJob(
        source=series,
        spec=_spec(params),
        features=list(params.features or series.columns),
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
        },
    )


def record_windowing(
    windowing_settings: dict, train: ShardSet, val: ShardSet, test: ShardSet
) -> dict:
    """The stage record, written last: what every later stage needs to know of the shards
    (shapes, columns, window arithmetic) and the size of each split. Its inputs must all
    come from one windowing run (checked before it runs), so a record exists only for a
    complete set of shards."""
    m = train.manifest
    return {
        "input_length": m.input_length,
        "horizon": m.horizon,
        "offset": m.offset,
        "stride": m.stride,
        "step_ns": m.step_ns,
        "feature_columns": list(m.feature_columns),
        "target_columns": list(m.target_columns),
        "shapes": m.shapes,
        "format": m.format,
        "layout": m.layout,
        "splits": {
            name: {"windows": s.windows_total, "shards": len(s.manifest.shards)}
            for name, s in (("train", train), ("val", val), ("test", test))
        },
    }


def _spec(params: WindowingParams) -> WindowSpec:
    return WindowSpec(params.input_length, params.horizon, params.offset, params.stride)


def _warn_if_windows_overlap(params: WindowingParams, layout: str) -> None:
    if layout == "windows" and params.stride < params.span:
        logger.warning(
            "layout 'windows' with stride %d < span %d stores overlapping windows one by one: "
            "about %.0fx the split's bytes. 'segments' stores them once.",
            params.stride,
            params.span,
            params.span / params.stride,
        )


def _check_fits(series: ParquetSeries, params: WindowingParams) -> None:
    require_columns(series, "windowing.targets", params.targets, f"'{series.path}'")
    require_columns(series, "windowing.features", params.features or [], f"'{series.path}'")
    require_rows(series, _spec(params), f"'{series.path}'")
