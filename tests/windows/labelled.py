"""Small splits of labelled sequences (the CONTRACTS schema), built with pandas, and their
oracle: what each case is, straight from the frame that was written."""

from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.windows.case_writing import SequenceJob
from lstm_pipeline.windows.sequences import ParquetSequences

FEATURES = [f"dim_{i}" for i in range(12)]
CLASSES = [str(i) for i in range(1, 10)]


def vowel_like_frame(cases: int = 120, seed: int = 0, features=FEATURES) -> pd.DataFrame:
    """A long table like JapaneseVowels: 9 classes, 12 dims, lengths 7 to 29; case numbers
    with gaps (as after drawing a validation split)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(7, 30, size=cases)
    numbers = np.sort(rng.choice(cases * 3, size=cases, replace=False))
    parts = []
    for number, length in zip(numbers, lengths, strict=True):
        part = pd.DataFrame(
            {
                "case": np.full(length, number, np.int64),
                "step": np.arange(length, dtype=np.int32),
                "label": np.full(length, rng.integers(len(CLASSES)), np.int32),
            }
        )
        values = rng.normal(size=(length, len(features))).astype(np.float32)
        parts.append(pd.concat([part, pd.DataFrame(values, columns=features)], axis=1))
    frame = pd.concat(parts, ignore_index=True) if parts else empty_frame(features)
    frame.attrs = {"task": "classification", "classes": CLASSES, "features": list(features)}
    return frame


def empty_frame(features=FEATURES) -> pd.DataFrame:
    """A split of no case, with the schema of any other."""
    columns = {"case": "int64", "step": "int32", "label": "int32"}
    frame = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    for name in features:
        frame[name] = pd.Series(dtype="float32")
    frame.attrs = {"task": "classification", "classes": CLASSES, "features": list(features)}
    return frame


def write_split(frame: pd.DataFrame, folder: Path, name: str = "train") -> Path:
    """``frame`` as ``folder/{name}_series.parquet``, in row groups of 97 rows, so that
    many cases span two row groups."""
    path = folder / f"{name}_series.parquet"
    frame.to_parquet(path, row_group_size=97)
    return path


def cases_of(frame: pd.DataFrame) -> list[tuple[int, int, np.ndarray]]:
    """The oracle: (case, label, values) per case in stored order, by pandas groupby."""
    features = frame.attrs["features"]
    return [
        (int(case), int(rows["label"].iloc[0]), rows[features].to_numpy(np.float32))
        for case, rows in frame.groupby("case", sort=False)
    ]


def sequence_job(path: Path, fmt: str = "hdf5", **overrides) -> SequenceJob:
    """A job writing several small shards."""
    source = ParquetSequences(path)
    return SequenceJob(source=source, features=source.columns, fmt=fmt, **overrides)


def unpadded(batches) -> list[tuple[int, np.ndarray]]:
    """(label, values without padding) per case of ``batches``, in their order, checking
    each batch's mask against its padding on the way."""
    cases = []
    for inputs, labels in batches:
        values, mask = inputs["values"].numpy(), inputs["mask"].numpy()
        lengths = mask.sum(axis=1)
        steps = values.shape[1]
        np.testing.assert_array_equal(mask, np.arange(steps) < lengths[:, None])
        assert not values[~mask].any(), "padding must be zeros"
        for row, label in enumerate(labels.numpy()):
            cases.append((int(label), values[row, : lengths[row]]))
    return cases
