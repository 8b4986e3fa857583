"""The shards of each study length, written once under the study folder and read by every
point of that length (from its child process).

Forecasting windows the stored normalised splits again at each input length; classification
resamples each labelled split (:mod:`lstm_pipeline.study.resample`) and stores it whole.
How a split becomes shards (``make_job``) is the caller's: the windowing stage's jobs, so the
study's windows are the ones a real run at that length would train on. All three splits:
the study reports test scores too (tuning, which never looks at test, windows train and val
only, hence :class:`~lstm_pipeline.tuning.windows.ShardCache` is not used here).
"""

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lstm_pipeline.files import atomic_target, exclusive_lock, write_atomically
from lstm_pipeline.scaling.labelled import split_cases, take_cases
from lstm_pipeline.study.resample import resample_cases, resampled_length
from lstm_pipeline.windows.manifest import MANIFEST

SPLITS = ("train", "val", "test")


def write_once(path: Path, make_job: Callable) -> str:
    """``make_job()``'s shards at ``path`` unless a complete folder is there already
    (written atomically under a lock: a killed write leaves no half folder)."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        with exclusive_lock(path), atomic_target(path) as temporary:
            make_job().write(temporary)
    return str(path)


def forecast_lengths(folder: Path, lengths: list[int], make_job: Callable) -> list[dict]:
    """Per input length: ``{"length", "factor": None, "train", "val", "test"}`` shard
    folders under ``folder/len_<L>``; ``make_job(split, input_length)`` windows a split."""
    inputs = []
    for length in lengths:
        paths = {
            split: write_once(
                folder / f"len_{length}" / f"{split}_shards", _job(make_job, split, length)
            )
            for split in SPLITS
        }
        inputs.append({"length": int(length), "factor": None, **paths})
    return inputs


def _job(make_job: Callable, *arguments) -> Callable:
    return lambda: make_job(*arguments)


def with_validation(frames: dict[str, pd.DataFrame], share: float, seed: int) -> dict:
    """The labelled splits as stored, or, when the stored validation split holds no case,
    a stratified ``share`` of the train cases drawn as validation (the normalisation
    stage's :func:`~lstm_pipeline.scaling.labelled.split_cases`); test stays the archive's."""
    if len(frames["val"]) or share == 0:
        return frames
    both = pd.concat([frames["train"].assign(split="train"), frames["test"].assign(split="test")])
    ranges = split_cases(both, validation=share, test=0.0, seed=seed)
    drawn = {name: take_cases(both, ranges, name) for name in SPLITS}
    for frame in drawn.values():
        frame.attrs = dict(frames["train"].attrs)
    return drawn


def classification_lengths(
    folder: Path, frames: dict[str, pd.DataFrame], factors: list[float], make_job: Callable
) -> list[dict]:
    """Per length factor: each split resampled (``folder/x<factor>/<split>_series.parquet``)
    and stored as shards by ``make_job(series_path)``; ``length`` is the longest case's."""
    longest = int(frames["train"].groupby("case").size().max())
    inputs = []
    for factor in factors:
        base = folder / f"x{factor:g}"
        paths = {}
        for split in SPLITS:
            series = base / f"{split}_series.parquet"
            if not (base / f"{split}_shards" / MANIFEST).is_file():
                resampled = resample_cases(frames[split], factor)
                write_atomically(series, lambda target, frame=resampled: frame.to_parquet(target))
            paths[split] = write_once(base / f"{split}_shards", _job(make_job, series))
        length = resampled_length(longest, factor)
        inputs.append({"length": length, "factor": float(factor), **paths})
    return inputs
