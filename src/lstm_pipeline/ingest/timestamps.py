"""Timestamps of raw rows: where they come from, and how a chunk of them becomes int64 ns.

Every timestamp ends as int64 nanoseconds since the epoch (UTC where the text carries an
offset). pandas 3 parses to second or microsecond resolution, which holds years far outside
what nanoseconds can: such a value is an error naming its file and line, never a silent
wrap-around (2300-01-01 would otherwise become a date in 1822).

Example:
    >>> spec = TimestampSpec(column=None, date_column="Date", time_column="Time",
    ...                      format="%d/%m/%Y %H:%M:%S")
    >>> parser = TimestampParser(spec)
    >>> parser.parse(chunk, ChunkOrigin(Path("power.csv"), first_row=2, unit="line"))
    array([1166289840000000000, ...])
"""

import re
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from lstm_pipeline.errors import MixedTimezoneError, TimestampParseError, TimestampRangeError
from lstm_pipeline.ingest.origin import ChunkOrigin
from lstm_pipeline.parameters import StrictModel

_INT64_MAX = int(np.iinfo(np.int64).max)  # int64's minimum itself means NaT
_DAY_NS = 86_400 * 10**9
# a trailing UTC offset as pandas reads it: Z, +01, +0100, +01:00
_OFFSET = re.compile(r"(Z|[+-]\d{2}(?::?\d{2})?)\s*$")
NANOSECOND_RANGE = "1677-09-21 00:12:43 to 2262-04-11 23:47:16"
DatePart = Literal["year", "month", "day", "hour", "minute", "second"]
# what a date part left out is: the first month and day, the start of the hour
PART_DEFAULTS = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}


class TimestampSpec(StrictModel):
    """Where the timestamp comes from: one column, a date and a time column joined with a
    space, or date-part columns (``parts``). The first four fields describe the data, so
    none has a default: write ``null`` for the unused ones (conf/base sets them)."""

    column: str | None = Field(description="the one timestamp column; null with date + time")
    date_column: str | None = Field(description="date column, joined with time_column")
    time_column: str | None = Field(description="time column, joined with date_column")
    format: str | None = Field(
        description="strptime format, e.g. '%d/%m/%Y %H:%M:%S'; null lets pandas infer it"
    )
    parts: dict[DatePart, str] | None = Field(
        default=None,
        description="{date part: column}, e.g. {year: year, month: month, day: day, hour: "
        "hour}: the timestamp assembled from integer columns; year is required, a month or "
        "day left out is 1, an hour, minute or second 0",
    )

    @model_validator(mode="after")
    def _one_source(self):
        split = self.date_column is not None or self.time_column is not None
        sources = [self.column is not None, split, self.parts is not None]
        if sum(sources) != 1:
            raise ValueError(
                "give one of 'column', 'date_column' + 'time_column' or 'parts' "
                "(and null for the others)"
            )
        if split and not (self.date_column and self.time_column):
            raise ValueError("give both 'date_column' and 'time_column'")
        if self.parts is not None and "year" not in self.parts:
            raise ValueError("'parts' needs a 'year' column (the other parts have defaults)")
        if self.parts is not None and self.format is not None:
            raise ValueError("'format' reads text timestamps: null it with 'parts'")
        return self

    @property
    def source_columns(self) -> list[str]:
        """The raw columns the timestamp is read from."""
        if self.column is not None:
            return [self.column]
        if self.parts is not None:
            return list(self.parts.values())
        return [self.date_column, self.time_column]

    def describe(self) -> str:
        """The source columns as a message names them."""
        if self.column is not None:
            return f"column '{self.column}'"
        if self.parts is not None:
            return "date-part columns " + ", ".join(f"'{c}'" for c in self.parts.values())
        return f"columns '{self.date_column}' + '{self.time_column}'"


class TimestampParser:
    """Turns the timestamp column(s) of successive chunks into int64 nanoseconds.

    It remembers the UTC offset of the first chunk, so an offset that changes between chunks
    or files is caught as surely as one that changes within a chunk.
    """

    def __init__(self, spec: TimestampSpec) -> None:
        self.spec = spec
        self._first_zone: tuple[str | None, str] | None = None  # (zone, where it was seen)

    def parse(self, chunk: pd.DataFrame, origin: ChunkOrigin) -> np.ndarray:
        """Return the chunk's timestamps as int64 nanoseconds since the epoch.

        Raises :class:`TimestampParseError` naming the first value that does not parse,
        :class:`TimestampRangeError` for one outside nanoseconds' range, and
        :class:`MixedTimezoneError` where the UTC offset changes.
        """
        if self.spec.parts is not None:
            fast = _assemble_parts(chunk, self.spec, origin)
        else:
            fast = _parse_date_and_time(chunk, self.spec)
        if fast is not None:
            self._check_zone(None, origin)
            return fast
        text = _timestamp_text(chunk, self.spec)
        parsed = _to_datetime(text, self.spec, origin)
        zone = None if parsed.dt.tz is None else str(parsed.dt.tz)
        self._check_zone(zone, origin)
        if zone is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return _to_nanoseconds(parsed, text, self.spec, origin)

    def _check_zone(self, zone: str | None, origin: ChunkOrigin) -> None:
        if self._first_zone is None:
            self._first_zone = (zone, origin.at(0))
            return
        first_zone, first_at = self._first_zone
        if zone != first_zone:
            raise MixedTimezoneError(
                f"The UTC offset of the timestamps in {self.spec.describe()} changes: "
                f"{first_at} is {first_zone or 'without offset'}, {origin.at(0)} is "
                f"{zone or 'without offset'}. Write every timestamp with the same offset "
                f"(converting them to UTC is simplest)."
            )


def out_of_nanosecond_range(values: np.ndarray, margin_ns: int = 0) -> np.ndarray:
    """Mask of the datetime64 ``values`` (any unit) that int64 nanoseconds cannot hold
    (NaT included); ``margin_ns`` lowers the upper bound."""
    per_tick = _nanoseconds_per_tick(values)
    ticks = values.view(np.int64)
    return (ticks < -(_INT64_MAX // per_tick)) | (ticks > (_INT64_MAX - margin_ns) // per_tick)


def _nanoseconds_per_tick(values: np.ndarray) -> int:
    unit, count = np.datetime_data(values.dtype)
    return int(np.timedelta64(count, unit) / np.timedelta64(1, "ns"))


def _timestamp_text(chunk: pd.DataFrame, spec: TimestampSpec) -> pd.Series:
    if spec.column is not None:
        return chunk[spec.column]
    return chunk[spec.date_column].astype("string") + " " + chunk[spec.time_column]


def _to_datetime(text: pd.Series, spec: TimestampSpec, origin: ChunkOrigin) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(text.dtype):
        parsed = text  # Parquet timestamp column
    else:
        try:
            parsed = pd.to_datetime(text, format=spec.format, errors="coerce")
        except ValueError as exc:  # raised even with errors='coerce', e.g. mixed offsets
            raise _unparseable_chunk(text, spec, origin, exc) from exc
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TimestampParseError(
            f"Cannot parse the timestamp in {spec.describe()} of {origin.at(i)}: "
            f"{text.iloc[i]!r} does not match format {spec.format!r} "
            f"({int(bad.sum())} such value(s) in this chunk). Fix the value or "
            f"'ingestion.timestamp.format'."
        )
    return parsed


def _unparseable_chunk(
    text: pd.Series, spec: TimestampSpec, origin: ChunkOrigin, exc: ValueError
) -> TimestampParseError:
    if "timezone" not in str(exc).lower():
        return TimestampParseError(
            f"Cannot parse the timestamps in {spec.describe()} of the rows from "
            f"{origin.at(0)}: {exc}"
        )
    offsets = text.astype("string").str.extract(_OFFSET.pattern, expand=False)
    keys = offsets.fillna("").to_numpy(dtype=object)
    changed = np.flatnonzero(keys != keys[0])
    if changed.size:
        i = int(changed[0])
        where = f"{origin.at(0)} is {text.iloc[0]!r} but {origin.at(i)} is {text.iloc[i]!r}"
    else:
        where = f"in the rows from {origin.at(0)}"
    return MixedTimezoneError(
        f"The timestamps in {spec.describe()} mix UTC offsets: {where}. Write every "
        f"timestamp with the same offset (converting them to UTC is simplest)."
    )


def _to_nanoseconds(
    parsed: pd.Series, text: pd.Series, spec: TimestampSpec, origin: ChunkOrigin
) -> np.ndarray:
    values = parsed.to_numpy()  # pandas 3 keeps the parsed unit (s, ms, us)
    outside = out_of_nanosecond_range(values)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise TimestampRangeError(
            f"The timestamp {str(text.iloc[i])!r} in {spec.describe()} of {origin.at(i)} is "
            f"outside the range this pipeline can hold ({NANOSECOND_RANGE}; "
            f"{int(outside.sum())} such value(s) in this chunk). A mistyped year? Fix the value."
        )
    return values.view(np.int64) * _nanoseconds_per_tick(values)


def _assemble_parts(chunk: pd.DataFrame, spec: TimestampSpec, origin: ChunkOrigin) -> np.ndarray:
    """int64 ns from the date-part columns (pandas assembles them); a part that is not a
    whole number, or parts that make no date (month 13, 30 February), named with its line."""
    numbers = {part: pd.to_numeric(chunk[c], errors="coerce") for part, c in spec.parts.items()}
    for part, values in numbers.items():
        bad = (values.isna() | (values % 1 != 0)).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise TimestampParseError(
                f"The {part} in column '{spec.parts[part]}' of {origin.at(i)} is "
                f"{chunk[spec.parts[part]].iloc[i]!r}, not a whole number "
                f"({int(bad.sum())} such value(s) in this chunk). Fix the value."
            )
    parsed = pd.to_datetime(
        pd.DataFrame({**PART_DEFAULTS, **numbers}, index=chunk.index), errors="coerce"
    )
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        written = {part: chunk[column].iloc[i] for part, column in spec.parts.items()}
        raise TimestampParseError(
            f"The date parts in {spec.describe()} of {origin.at(i)} make no date: {written} "
            f"({int(bad.sum())} such row(s) in this chunk). Fix the values."
        )
    return _to_nanoseconds(parsed, parsed.astype("string"), spec, origin)


def _parse_date_and_time(chunk: pd.DataFrame, spec: TimestampSpec) -> np.ndarray | None:
    """Parse each distinct date and each distinct time once (a day repeats 1440 times in a
    minute series), then add them up. None where anything is unusual (a value that does not
    parse, an offset, a date near the edge of the range): the general path then names it."""
    if spec.column is not None or not spec.format or " " not in spec.format.strip():
        return None
    date_format, time_format = spec.format.strip().split(" ", 1)
    date_codes, dates = pd.factorize(chunk[spec.date_column])
    time_codes, times = pd.factorize(chunk[spec.time_column])
    try:
        day = pd.to_datetime(pd.Series(dates), format=date_format, errors="coerce")
        clock = pd.to_datetime(pd.Series(times), format=time_format, errors="coerce")
    except ValueError:
        return None
    if (
        (date_codes < 0).any()
        or (time_codes < 0).any()
        or day.isna().any()
        or clock.isna().any()
        or day.dt.tz is not None
        or clock.dt.tz is not None
    ):
        return None
    day_values = day.to_numpy()
    # a day within a day of the top of the range may overflow once its time is added
    if out_of_nanosecond_range(day_values, margin_ns=_DAY_NS).any():
        return None
    day_ns = day_values.view(np.int64) * _nanoseconds_per_tick(day_values)
    clock_ns = (clock - clock.dt.normalize()).to_numpy(dtype="timedelta64[ns]").view(np.int64)
    return day_ns[date_codes] + clock_ns[time_codes]
