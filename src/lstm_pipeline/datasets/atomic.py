"""Catalog datasets whose save is atomic on local disk.

kedro-datasets writes straight into the target file, so a crash or a full disk mid-save
leaves a truncated artifact. These subclasses write to a hidden temporary file beside the
target and rename it into place: the previous artifact stays byte-identical until the new
one is complete.
"""

import os
import uuid
from contextlib import suppress
from pathlib import PurePosixPath
from typing import Any

from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import ParquetDataset


class AtomicSaveMixin:
    """Redirect the parent's save to a temporary path, then rename it over the target."""

    def save(self, data: Any) -> None:
        if self._protocol != "file" or self._version is not None:
            # Object stores replace whole objects; versioned saves never overwrite.
            super().save(data)
            return
        final = self._filepath
        temporary = PurePosixPath(final.parent, f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
        self._fs.makedirs(str(final.parent), exist_ok=True)
        self._filepath = temporary
        try:
            super().save(data)
            os.replace(str(temporary), str(final))
        finally:
            self._filepath = final
            with suppress(FileNotFoundError):
                os.remove(str(temporary))
        self._invalidate_cache()


class AtomicParquetDataset(AtomicSaveMixin, ParquetDataset):
    """``pandas.ParquetDataset`` with an atomic local save."""


class AtomicJSONDataset(AtomicSaveMixin, JSONDataset):
    """``json.JSONDataset`` with an atomic local save."""
