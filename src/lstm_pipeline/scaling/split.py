"""Chronological train/validation/test splits: contiguous row ranges, never shuffled across time."""

from collections.abc import Mapping
from functools import partial

import pandas as pd

from lstm_pipeline.errors import SplitError

SPLITS = ("train", "val", "test")


def split_by_fractions(
    index: pd.DatetimeIndex, fractions: Mapping[str, float], min_train_rows: int
) -> dict:
    """Cut ``index`` into consecutive train/val/test row ranges of the given fractions."""
    n = len(index)
    n_train = int(round(n * fractions["train"]))
    n_val = int(round(n * fractions["val"]))
    bounds = {
        "train": (0, n_train),
        "val": (n_train, n_train + n_val),
        "test": (n_train + n_val, n),
    }
    optional = ("val",) if fractions["val"] == 0 else ()
    return _ranges(index, bounds, min_train_rows, "normalisation.split.train", optional)


def split_by_timestamps(
    index: pd.DatetimeIndex, val_start: str | None, test_start: str, min_train_rows: int
) -> dict:
    """Train before ``val_start``, validation before ``test_start``, test from there on;
    without ``val_start``, train up to ``test_start`` and no validation."""
    test_at = pd.Timestamp(test_start)
    val_at = pd.Timestamp(val_start) if val_start is not None else test_at
    if not index[0] < val_at <= test_at <= index[-1] or (val_start and val_at == test_at):
        raise SplitError(
            f"'normalisation.split.val_start' ({val_start}) and 'test_start' ({test_at}) must "
            f"satisfy {index[0]} < val_start < test_start <= {index[-1]} (the series' range; "
            f"val_start null: no validation)."
        )
    v = int(index.searchsorted(val_at, side="left"))
    t = int(index.searchsorted(test_at, side="left"))
    bounds = {"train": (0, v), "val": (v, t), "test": (t, len(index))}
    optional = ("val",) if val_start is None else ()
    knob = "normalisation.split.val_start" if val_start else "normalisation.split.test_start"
    return _ranges(index, bounds, min_train_rows, knob, optional)


def find_ranges(index: pd.DatetimeIndex, split) -> dict:
    """The train/val/test ranges ``split`` (method, fractions or timestamps,
    min_train_rows) asks for. Raises :class:`SplitError` when they cannot be made."""
    if split.method == "fractions":
        fractions = {"train": split.train, "val": split.val, "test": split.test}
        return split_by_fractions(index, fractions, split.min_train_rows)
    return split_by_timestamps(index, split.val_start, split.test_start, split.min_train_rows)


def _ranges(
    index: pd.DatetimeIndex, bounds: dict, min_train_rows: int, knob: str, optional=()
) -> dict:
    """Each split's rows and times; an empty split is an error unless it is ``optional``
    (validation turned off on purpose)."""
    ranges = {}
    for name in SPLITS:
        start, stop = bounds[name]
        rows = stop - start
        if rows <= 0 and name not in optional:
            raise SplitError(
                f"The {name} split of {len(index)} rows is empty; change '{knob}' and the "
                f"other split parameters."
            )
        ranges[name] = {
            "start_row": start,
            "stop_row": stop,
            "rows": rows,
            "start": str(index[start]) if rows else None,
            "end": str(index[stop - 1]) if rows else None,
        }
    if ranges["train"]["rows"] < min_train_rows:
        raise SplitError(
            f"The train split has {ranges['train']['rows']} rows, fewer than "
            f"'normalisation.split.min_train_rows' = {min_train_rows}. Give the train split a "
            f"larger share ('{knob}') or ingest more data."
        )
    return ranges


def take(frame: pd.DataFrame, ranges: dict, name: str) -> pd.DataFrame:
    """The rows of split ``name`` (of many series: each series' rows, one after another)."""
    if "series" in ranges:
        parts = [take(frame, own, name) for own in ranges["series"].values()]
        return pd.concat(parts) if parts else frame.iloc[:0]
    part = ranges[name]
    return frame.iloc[part["start_row"] : part["stop_row"]]


def find_ranges_per_series(index: pd.DatetimeIndex, blocks: list, split) -> dict:
    """:func:`find_ranges` for each series of a frame holding ``blocks`` ([name, rows], one
    after another). A series the split cannot cut (too short) is skipped and named in
    ``skipped`` with the reason; all of them skipped is a :class:`SplitError`."""
    ranges_of = partial(find_ranges, split=split)
    return ranges_per_series(index, blocks, ranges_of, "No series can be split")


def ranges_per_series(index: pd.DatetimeIndex, blocks: list, ranges_of, refusal: str) -> dict:
    """``ranges_of`` (a series' index -> its split ranges, or SplitError) of each series of
    ``blocks``, in rows of the whole frame; a series it refuses is skipped and named in
    ``skipped``, and all of them refused is a :class:`SplitError` (``refusal``: the reasons)."""
    ranges, skipped, start = {}, {}, 0
    for name, rows in blocks:
        try:
            own = ranges_of(index[start : start + rows])
        except SplitError as exc:
            skipped[name] = str(exc)
        else:
            ranges[name] = {k: _shifted(part, start) for k, part in own.items()}
        start += rows
    if not ranges:
        raise SplitError(f"{refusal}: {skipped}")
    totals = {n: {"rows": sum(r[n]["rows"] for r in ranges.values())} for n in SPLITS}
    return {**totals, "series": ranges, "skipped": skipped}


def _shifted(part: dict, offset: int) -> dict:
    return {**part, "start_row": part["start_row"] + offset, "stop_row": part["stop_row"] + offset}
