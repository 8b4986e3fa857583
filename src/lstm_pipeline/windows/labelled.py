"""Windowing for classification: check the labelled splits, describe each split's shards,
and the stage record. Window settings (input_length, horizon, ...) play no part: a case is
stored whole, with its label and true length.

Example:
    >>> check_labelled_splits({"train": train, "val": val, "test": test}, features=None)
    >>> job = sequence_job(train, WindowingParams(...))
    >>> record = labelled_record({"train": train_set, "val": val_set, "test": test_set})
"""

from lstm_pipeline.errors import WindowingError
from lstm_pipeline.windows.case_writing import SequenceJob
from lstm_pipeline.windows.fitting import require_columns
from lstm_pipeline.windows.sequences import ParquetSequences

REQUIRED = ("train", "test")  # validation may be empty (train loss drives the schedule)


def require_sequences(series, name: str) -> None:
    """Raise :class:`WindowingError` when split ``name`` is not labelled sequences."""
    if not isinstance(series, ParquetSequences):
        where = getattr(series, "path", series)
        raise WindowingError(
            f"The {name} split '{where}' holds no labelled sequences, but task is "
            f"'classification': run the pipeline from ingestion with task classification."
        )


def check_labelled_splits(splits: dict[str, ParquetSequences], features: list[str] | None):
    """Raise :class:`WindowingError` (or ColumnNotFoundError) naming the split at fault when
    a split is not labelled sequences, train or test holds no case, or the splits disagree
    on their features or classes. Reads the file footers only."""
    for name, series in splits.items():
        require_sequences(series, name)
        require_columns(series, "windowing.features", features or [], f"'{series.path}'")
    for name in REQUIRED:
        if splits[name].num_rows == 0:
            raise WindowingError(
                f"The {name} split '{splits[name].path}' holds no case: a classifier needs "
                f"{' and '.join(REQUIRED)} cases. Check the inputs and "
                f"'normalisation.labelled' shares."
            )
    train = splits["train"]
    for name, series in splits.items():
        if (series.columns, series.classes) != (train.columns, train.classes):
            raise WindowingError(
                f"The {name} split '{series.path}' has features {series.columns} and classes "
                f"{series.classes}, the train split '{train.path}' {train.columns} and "
                f"{train.classes}: they come from different runs. Run normalisation again."
            )


def sequence_job(series: ParquetSequences, params) -> SequenceJob:
    """The job writing ``series`` as labelled shards, as ``params`` (WindowingParams) say:
    format, compression, shard size and features (all of the split's when ``None``)."""
    require_sequences(series, series.name)
    require_columns(series, "windowing.features", params.features or [], f"'{series.path}'")
    return SequenceJob(
        source=series,
        features=list(params.features or series.columns),
        fmt=params.format,
        compression=params.compression,
        compression_level=params.compression_level,
        shard_mb=params.shard_mb,
        metadata={
            "split": series.name,
            "source": str(series.path),
            "parameters": params.model_dump(),
        },
    )


def labelled_record(shard_sets: dict) -> dict:
    """The windowing record for classification, from the split name -> loaded ShardSet:
    what later stages need (features, classes, lengths) and the size of each split."""
    train = shard_sets["train"].manifest
    filled = [s for s in shard_sets.values() if s.cases_total]
    return {
        "task": "classification",
        "feature_columns": list(train.feature_columns),
        "classes": list(train.classes),
        "format": train.format,
        "layout": train.layout,
        "shapes": train.shapes,
        "min_length": min(s.min_length for s in filled),
        "max_length": max(s.max_length for s in filled),
        "splits": {
            name: {
                "cases": s.cases_total,
                "shards": len(s.manifest.shards),
                "min_length": s.min_length,
                "max_length": s.max_length,
            }
            for name, s in shard_sets.items()
        },
    }
