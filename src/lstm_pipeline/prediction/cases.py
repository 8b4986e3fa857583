"""New labelled-sequence files -> the model's class of every case, with the probabilities.

``read_new_cases`` reads each file with the ingestion readers (the training run's
``ingestion.labelled`` settings), refuses a file whose dimensions are not the trained ones,
fills missing values by the same policy and scales with the stored scaler. A label the
files carry is kept as ``given_label`` (text) and never used. ``classify_cases`` then
predicts in padded batches, as the test split was.

The predictions table has one row per case, in file order: ``file``, ``case`` (0-based
within its file), ``given_label``, ``predicted_label`` and ``prob_<class>`` per class of the
stored label mapping (float64).

    >>> cases = read_new_cases(files, spec, markers, scaler)
    >>> table = classify_cases(model, cases, classes, batch_size=256)
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_pipeline.evaluation.classifying import PROBABILITY_PREFIX
from lstm_pipeline.ingest.labelled.filling import fill_missing
from lstm_pipeline.ingest.labelled.read import LabelledSpec, assign_splits, read_labelled_file
from lstm_pipeline.ingest.labelled.sequences import LabelledSequences, concat, to_frame
from lstm_pipeline.prediction.checks import InputMismatchError
from lstm_pipeline.scaling.labelled import scale_cases
from lstm_pipeline.windows.bucketing import pad_batch

FILE, CASE, GIVEN = "file", "case", "given_label"


def read_new_cases(
    files: Sequence[Path], spec: LabelledSpec, missing_markers: Sequence[str], scaler: dict
) -> pd.DataFrame:
    """The long table of every new case, scaled: ``case`` (a running number), ``step``,
    ``label`` (as given), one float32 column per dimension; ``attrs['cases']`` says which
    file and which case in it each running number is.

    Raises:
        InputMismatchError: a file whose dimensions differ from the trained ones (named).
    """
    groups, _ = assign_splits(list(files), spec)
    paths = [path for split in groups.values() for path in split]
    parts = [read_labelled_file(path, spec, missing_markers) for path in paths]
    for part in parts:
        check_dimensions(part, list(scaler["columns"]))
    cases = concat(parts, ", ".join(str(p) for p in paths))
    frame = to_frame({"all": cases}, [])
    origin = [[str(p), i] for p, part in zip(paths, parts, strict=True) for i in range(len(part))]

    def locate(_split: str, case: int) -> str:
        return f"{origin[case][0]} case {origin[case][1]} (0-based)"

    filled, _ = fill_missing(frame, list(cases.dims), spec.missing, locate)
    scaled = scale_cases(filled.drop(columns="split"), scaler)
    scaled.attrs = {"cases": origin, "dims": list(cases.dims)}
    return scaled


def check_dimensions(cases: LabelledSequences, trained: list[str]) -> None:
    """Raise unless ``cases`` have the trained dimensions, in number and names."""
    if cases.dims == trained:
        return
    missing = [d for d in trained if d not in cases.dims]
    extra = [d for d in cases.dims if d not in trained]
    raise InputMismatchError(
        f"New file '{cases.source}' has {len(cases.dims)} dimension(s) {cases.dims[:12]}, "
        f"but the model was trained on {len(trained)}: {trained[:12]} (missing: "
        f"{missing[:12]}, not trained on: {extra[:12]}). Give cases of the trained dimensions."
    )


def classify_cases(
    model, cases: pd.DataFrame, classes: list[str], batch_size: int = 256
) -> pd.DataFrame:
    """The predictions table (module doc) of the scaled long table ``cases``."""
    dims = list(cases.attrs["dims"])
    groups = cases.groupby(CASE, sort=True)
    numbers = np.array(list(groups.groups), np.int64)
    values = [rows[dims].to_numpy(np.float32) for _, rows in groups]
    given = groups["label"].first().astype(str).to_numpy(dtype=object)
    probabilities = []
    for start in range(0, len(values), batch_size):
        chunk = [(v, 0, 0) for v in values[start : start + batch_size]]
        inputs, _ = pad_batch(chunk)
        probabilities.append(np.asarray(model.predict_on_batch(inputs), np.float64))
    scores = np.concatenate(probabilities) if probabilities else np.empty((0, len(classes)))
    _check_classes(scores, classes)
    origin = [cases.attrs["cases"][n] for n in numbers]
    frame = pd.DataFrame(
        {
            FILE: [file for file, _ in origin],
            CASE: np.array([case for _, case in origin], np.int64),
            GIVEN: given,
            "predicted_label": np.asarray(classes, dtype=object)[scores.argmax(axis=1)],
        }
    )
    for code, name in enumerate(classes):
        frame[f"{PROBABILITY_PREFIX}{name}"] = scores[:, code]
    return frame


def _check_classes(scores: np.ndarray, classes: list[str]) -> None:
    if scores.shape[1] != len(classes):
        raise InputMismatchError(
            f"The model gives {scores.shape[1]} class probabilities, but the stored label "
            f"mapping has {len(classes)} classes {classes}: they come from different runs. "
            f"Run the whole pipeline again."
        )
