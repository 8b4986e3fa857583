"""Window arithmetic: what one training sample spans and how many fit in a stretch of rows.

A window starting at row ``s`` takes inputs from rows ``s .. s+input_length-1`` and targets
from rows ``s+input_length+offset .. s+input_length+offset+horizon-1``; consecutive windows
start ``stride`` rows apart.

Example:
    >>> spec = WindowSpec(input_length=168, horizon=24, stride=1)
    >>> spec.span, spec.windows_in(1000)
    (192, 809)
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowSpec:
    """One window's shape; raises ValueError for a length, horizon or stride below 1 or a
    negative offset."""

    input_length: int
    horizon: int
    offset: int = 0
    stride: int = 1

    def __post_init__(self) -> None:
        for name in ("input_length", "horizon", "stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"windowing.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.offset, int) or self.offset < 0:
            raise ValueError(f"windowing.offset must be an integer >= 0, got {self.offset!r}")

    @property
    def span(self) -> int:
        """Rows one window touches, inputs to last target."""
        return self.input_length + self.offset + self.horizon

    @property
    def target_shift(self) -> int:
        """Rows from a window's first input to its first target."""
        return self.input_length + self.offset

    def windows_in(self, rows: int) -> int:
        """Complete windows in ``rows`` consecutive rows."""
        return max(0, (rows - self.span) // self.stride + 1)

    def partial_windows_in(self, rows: int) -> int:
        """Start positions on the stride grid whose window would run past the last row."""
        starts = -(-rows // self.stride)  # ceil
        return starts - self.windows_in(rows)

    def rows_for(self, windows: int) -> int:
        """Rows needed to hold ``windows`` consecutive windows."""
        return (windows - 1) * self.stride + self.span if windows else 0
