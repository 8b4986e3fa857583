"""Where a chunk of raw rows came from, so every error can name the file and line."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChunkOrigin:
    """The file a chunk was read from and the number of its first row.

    ``unit`` is ``"line"`` for CSV files (the header is line 1, so the first data row is
    line 2) and ``"row"`` for Parquet files (1-based).
    """

    path: Path
    first_row: int
    unit: str

    def at(self, i: int) -> str:
        """Row ``i`` of the chunk (0-based) as ``'file.csv' line 12``."""
        return f"'{self.path}' {self.unit} {self.first_row + i}"
