"""Is new data what the model was trained on? Columns, time step and dimensions, checked
one raw file at a time so that a refusal names the file (and the column).

    >>> trained = TrainedSeries.from_artifacts(ingestion_report, windowing_record)
    >>> check_columns("new/2024-05.csv", list(raw.columns), trained)
    >>> check_native_step("new/2024-05.csv", raw, trained)
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstm_pipeline.errors import IrregularSpacingError, LstmPipelineError
from lstm_pipeline.ingest.cleaning import infer_frequency
from lstm_pipeline.ingest.many import SERIES
from lstm_pipeline.timegrid import TimeGrid


class InputMismatchError(LstmPipelineError):
    """New data that does not match what the model was trained on: a column missing or
    extra, another time step, another number of dimensions, a series it never saw, or too
    little data for one input window."""


@dataclass(frozen=True)
class TrainedSeries:
    """What the training run read (from its ingestion report and windowing record).

    Attributes:
        columns: the raw columns ingestion kept (features, then targets), without the
            series code.
        native: the raw files' time step (None when they were irregular and resampled).
        frequency: the step of the series the model reads (after resampling).
    """

    columns: tuple[str, ...]
    native: str | None
    frequency: str

    @classmethod
    def from_artifacts(cls, ingestion_report: dict, windowing_record: dict) -> "TrainedSeries":
        columns = dict.fromkeys([*ingestion_report["features"], *ingestion_report["targets"]])
        return cls(
            columns=tuple(c for c in columns if c != SERIES),
            native=ingestion_report["frequency"]["native"],
            frequency=windowing_record["frequency"],
        )


def check_columns(file: str, found: Sequence[str], trained: TrainedSeries) -> None:
    """Raise unless ``found`` (the columns read from ``file``) are the trained columns."""
    found = [c for c in found if c != SERIES]
    missing = [c for c in trained.columns if c not in found]
    extra = [c for c in found if c not in trained.columns]
    if missing:
        raise InputMismatchError(
            f"New raw file '{file}' has no column(s) {missing}, which the model was trained "
            f"on (it reads {list(trained.columns)}). Add them to the file."
        )
    if extra:
        raise InputMismatchError(
            f"New raw file '{file}' has column(s) {extra} that the model was not trained on "
            f"(it reads {list(trained.columns)}): {len(found)} features instead of "
            f"{len(trained.columns)}. Remove them, or declare 'ingestion.features'."
        )


def check_native_step(
    file: str,
    raw: pd.DataFrame,
    trained: TrainedSeries,
    time_columns: Sequence[str] = (),
    names: Sequence[str] = (),
) -> None:
    """Raise unless the rows of ``file`` (each series' alone; ``names``: the series of the
    codes in ``raw``) follow the trained raw step; ``time_columns`` name the file's
    timestamp column(s) in the message."""
    if trained.native is None:
        return  # trained on irregular raw data: only the resampled step can be compared
    expected = TimeGrid(trained.native)
    column = "/".join(time_columns) or raw.index.name
    for name, stamps in _stamps_per_series(raw, names):
        try:
            grid = infer_frequency(pd.DatetimeIndex(np.unique(stamps)))
        except IrregularSpacingError as exc:
            raise InputMismatchError(
                f"New raw file '{file}'{name}: cannot tell its time step ({exc}); the model "
                f"was trained on rows every '{expected.frequency}'."
            ) from exc
        if grid != expected:
            raise InputMismatchError(
                f"New raw file '{file}'{name} has rows every '{grid.frequency}', but the "
                f"model was trained on rows every '{expected.frequency}' (timestamps in "
                f"'{column}'). Give it data at that step."
            )


def _stamps_per_series(raw: pd.DataFrame, names: Sequence[str]):
    """(' (series <name>)' or '', its timestamps) for each series of ``raw``."""
    if SERIES not in raw.columns:
        yield "", raw.index.to_numpy()
        return
    codes = raw[SERIES].to_numpy()
    for code in np.unique(codes):
        name = names[int(code)] if int(code) < len(names) else int(code)
        yield f" (series {name})", raw.index.to_numpy()[codes == code]


def check_output_step(where: str, frequency: str | None, trained: TrainedSeries) -> None:
    """Raise unless the cleaned new series has the step the model reads."""
    if frequency is None or TimeGrid(frequency) != TimeGrid(trained.frequency):
        raise InputMismatchError(
            f"{where} come out at step '{frequency}' after ingestion, but the model reads "
            f"steps of '{trained.frequency}'. Give data at the step it was trained on."
        )
