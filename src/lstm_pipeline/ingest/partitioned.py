"""Raw files read one per partition (``engine.name: dask``): each file by its own task, with
the same reader, columns and errors as :func:`read_raw_files`, then joined in file order.

The pandas engine (:func:`serial_map`) reads as it always did, all files by one reader.

    >>> table = read_tables(files, serial_map, timestamp=spec, features=None, targets=["y"],
    ...                     missing_markers=["?"], chunk_rows=250_000, csv_options={})
"""

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from lstm_pipeline.ingest.reading import (
    RawTable,
    chosen_columns,
    concat_tables,
    read_one_file,
    read_raw_files,
)
from lstm_pipeline.parallel.engine import Mapper, serial_map


def read_tables(files: Sequence[Path], map_items: Mapper, **options) -> RawTable:
    """:func:`read_raw_files` of ``files`` (``options``: its keyword arguments); with a
    parallel ``map_items``, one task per file, every file reading the columns the first
    file gives (as the single reader would)."""
    if map_items is serial_map or len(files) < 2:
        return read_raw_files(files, **options)
    read = partial(read_one_file, columns=chosen_columns(files[0], **options), **options)
    return concat_tables(map_items(read, files))
