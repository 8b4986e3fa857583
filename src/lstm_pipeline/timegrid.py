"""A series' time step as a pandas frequency: fixed ('1h', '15min', 'D') or calendar ('MS',
'ME', 'W-SUN', 'QS', 'B'), with the arithmetic every stage needs on int64 nanosecond stamps.

A fixed step is plain integer arithmetic; a calendar step (months differ in length, a
business day skips weekends) goes through pandas' date offsets, so a monthly series' windows
end on month starts and its baselines count months, not 30-day blocks.

Example:
    >>> grid = TimeGrid("MS")
    >>> grid.advance(pd.Timestamp("1949-01-01").value, [0, 1, 12])   # Jan, Feb 1949, Jan 1950
    >>> grid.follows(stamps)        # True where a stamp is one step after the one before
"""

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset


def pandas_frequency(value: str) -> str:
    """``value`` when pandas reads it as a frequency ('1h', 'MS', 'W-SUN', 'B'); raise
    ValueError (pydantic reports it with the parameter's path) otherwise."""
    try:
        offset = to_offset(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"must be a pandas frequency such as '1h', 'D', 'W-SUN', 'MS', 'ME', 'QS' or "
            f"'B', got {value!r}"
        ) from exc
    if offset.n <= 0:
        raise ValueError(f"must be a positive frequency, got {value!r}")
    return value


class TimeGrid:
    """Steps of one pandas frequency (``step_ns`` is None for a calendar frequency)."""

    def __init__(self, frequency: str | pd.DateOffset | pd.Timedelta) -> None:
        self.offset = to_offset(frequency)
        self.frequency = self.offset.freqstr
        self.step_ns = _fixed_ns(self.offset)

    def __repr__(self) -> str:
        return f"TimeGrid('{self.frequency}')"

    def __eq__(self, other) -> bool:
        return isinstance(other, TimeGrid) and self.frequency == other.frequency

    def __hash__(self) -> int:
        return hash(self.frequency)

    @property
    def is_calendar(self) -> bool:
        return self.step_ns is None

    def is_on_grid(self, stamp_ns: int) -> bool:
        return self.is_calendar is False or self.offset.is_on_offset(pd.Timestamp(stamp_ns))

    def advance(self, start_ns: int, steps: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stamps ``steps`` (non-negative) grid steps after ``start_ns``, as int64 ns."""
        steps = np.asarray(steps, dtype=np.int64)
        if not self.is_calendar:
            return start_ns + steps * self.step_ns
        if not len(steps):
            return np.empty(0, np.int64)
        grid = self.range(start_ns, periods=int(steps.max()) + 1)
        return grid[steps]

    def range(self, start_ns: int, *, periods: int | None = None, end_ns: int | None = None):
        """The grid from ``start_ns`` (which must lie on it): ``periods`` stamps, or through
        ``end_ns``. int64 ns."""
        start = pd.Timestamp(start_ns)
        if not self.offset.is_on_offset(start):
            raise ValueError(f"{start} is not on the '{self.frequency}' grid")
        end = None if end_ns is None else pd.Timestamp(end_ns)
        stamps = pd.date_range(start, end, periods=periods, freq=self.offset)
        return stamps.as_unit("ns").asi8

    def next_stamps(self, stamps: np.ndarray) -> np.ndarray:
        """The stamp one step after each of ``stamps`` (int64 ns)."""
        stamps = np.asarray(stamps, dtype=np.int64)
        if not self.is_calendar:
            return stamps + self.step_ns
        return (pd.DatetimeIndex(stamps.astype("datetime64[ns]")) + self.offset).asi8

    def follows(self, stamps: np.ndarray, previous_ns: int | None = None) -> np.ndarray:
        """True where ``stamps[i]`` is one step after the stamp before it (``previous_ns``
        for the first; None: the first counts as following)."""
        stamps = np.asarray(stamps, dtype=np.int64)
        before = stamps[:-1] if previous_ns is None else np.r_[previous_ns, stamps[:-1]]
        joined = self.next_stamps(before) == stamps[len(stamps) - len(before) :]
        return joined if previous_ns is not None else np.r_[True, joined]

    def steps_between(self, start_ns: int, end_ns: int) -> int:
        """Whole grid steps from ``start_ns`` to ``end_ns`` (both on the grid)."""
        if not self.is_calendar:
            return int((end_ns - start_ns) // self.step_ns)
        if end_ns < start_ns:
            return -self.steps_between(end_ns, start_ns)
        return len(self.range(start_ns, end_ns=end_ns)) - 1

    def positions(self, stamps: np.ndarray, origin_ns: int) -> np.ndarray:
        """Grid steps of each of ``stamps`` (sorted, on the grid, not before ``origin_ns``)
        after ``origin_ns``."""
        stamps = np.asarray(stamps, dtype=np.int64)
        if not self.is_calendar:
            return (stamps - origin_ns) // self.step_ns
        if not len(stamps):
            return np.empty(0, np.int64)
        grid = self.range(origin_ns, end_ns=int(stamps.max()))
        return np.searchsorted(grid, stamps)

    def steps_in(self, duration: str) -> int:
        """How many grid steps fit in ``duration`` ('60min', '62D'); for a calendar step,
        counted from 2000-01-01 rolled onto the grid."""
        span = pd.Timedelta(duration)
        if not self.is_calendar:
            return int(span.value // self.step_ns)
        anchor = self.offset.rollforward(pd.Timestamp("2000-01-01"))
        return len(pd.date_range(anchor, anchor + span, freq=self.offset)) - 1

    def step_name(self) -> str:
        """What one step is called, plural, for axis labels: 'hours', 'months',
        '15-minute steps'."""
        base = _STEP_NAMES.get(self._unit())
        if base is None:
            return f"steps of {self.frequency}"
        return base if self.offset.n == 1 else f"{self.offset.n}-{base[:-1]} steps"

    def stamp_text(self, stamp_ns: int) -> str:
        """A timestamp as precise as the step needs: '1957-12' for months, a date for days."""
        stamp = pd.Timestamp(stamp_ns)
        for unit, pattern in _STAMP_PATTERNS:
            if unit == self._unit():
                return stamp.strftime(pattern)
        return str(stamp)

    def _unit(self) -> str:
        """'MS', 'W', 'QS', 'B' for a calendar step (anchor dropped), else the class name."""
        if self.is_calendar:
            return self.offset.rule_code.split("-")[0]
        return type(self.offset).__name__

    def nominal(self) -> pd.Timedelta:
        """The typical length of a step (a calendar step: its median over a few years)."""
        if not self.is_calendar:
            return pd.Timedelta(self.step_ns, unit="ns")
        anchor = self.offset.rollforward(pd.Timestamp("2000-01-01"))
        sample = pd.date_range(anchor, periods=60, freq=self.offset)
        return pd.Timedelta(int(np.median(np.diff(sample.as_unit("ns").asi8))), unit="ns")


# by the offset's rule code (calendar) or class name (fixed)
_STEP_NAMES = {
    "Nano": "nanoseconds",
    "Second": "seconds",
    "Minute": "minutes",
    "Hour": "hours",
    "Day": "days",
    "B": "business days",
    "MS": "months",
    "ME": "months",
    "QS": "quarters",
    "QE": "quarters",
    "YS": "years",
    "YE": "years",
    "W": "weeks",
}
_STAMP_PATTERNS = (
    ("MS", "%Y-%m"),
    ("ME", "%Y-%m"),
    ("QS", "%Y-%m"),
    ("QE", "%Y-%m"),
    ("YS", "%Y"),
    ("YE", "%Y"),
    ("W", "%Y-%m-%d"),
    ("B", "%Y-%m-%d"),
    ("Day", "%Y-%m-%d"),
    ("Hour", "%Y-%m-%d %H:%M"),
    ("Minute", "%Y-%m-%d %H:%M"),
)


def _fixed_ns(offset: pd.DateOffset) -> int | None:
    """The step in ns when every step has the same length (a Tick or a day on naive
    stamps); None for calendar offsets."""
    try:
        return int(pd.Timedelta(offset).value)
    except ValueError:
        return None


def infer_grid(index: pd.DatetimeIndex) -> TimeGrid:
    """The grid of a sorted, unique index: the frequency pandas finds when the index has no
    gap (weekly data: 'W-SUN', weekdays: 'B'), else the most common spacing when every
    spacing is a whole number of it. Raises ValueError when neither fits (the caller names
    the setting to declare)."""
    if len(index) < 2:
        raise ValueError("at least two timestamps are needed to infer a frequency")
    with warnings.catch_warnings():  # pandas 3 announces an offset return type
        warnings.simplefilter("ignore")
        found = pd.infer_freq(index) if len(index) >= 3 else None
    if found is not None:
        return TimeGrid(found)
    spacing = np.diff(index.as_unit("ns").asi8)
    values, counts = np.unique(spacing, return_counts=True)
    common = int(values[np.argmax(counts)])
    if (spacing % common).any():
        raise ValueError(
            f"the spacing is irregular (most often {pd.Timedelta(common, unit='ns')}) and "
            f"pandas finds no calendar frequency"
        )
    return TimeGrid(pd.Timedelta(common, unit="ns"))
