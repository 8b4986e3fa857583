"""Catalog entry for a Parquet table written chunk by chunk by its node."""

import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from lstm_pipeline.files import write_atomically


class StreamedParquetDataset(AbstractDataset):
    """Save takes the path of a finished Parquet file (written batch by batch elsewhere, so
    the table is never whole in memory) or a DataFrame, and renames it into place; load
    returns a ``pyarrow.parquet.ParquetFile`` (lazy) or, with ``load_args: {pandas: true}``,
    a DataFrame."""

    def __init__(
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._as_pandas = bool((load_args or {}).get("pandas", False))
        self.metadata = metadata

    def load(self):
        if self._as_pandas:
            return pd.read_parquet(self._filepath)
        return pq.ParquetFile(self._filepath)

    def save(self, data) -> None:
        if isinstance(data, pd.DataFrame):
            write_atomically(self._filepath, data.to_parquet)
        elif isinstance(data, str | os.PathLike):
            # may cross file systems: copy beside the target, rename, then drop the source
            write_atomically(self._filepath, lambda target: shutil.copyfile(data, target))
            Path(data).unlink(missing_ok=True)
        else:
            raise DatasetError(
                f"{self._filepath}: expected a Parquet file path or a DataFrame, got "
                f"{type(data).__name__}"
            )

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}

    def preview(self, nrows: int = 10) -> TablePreview:
        """kedro-viz: the first rows."""
        batch = next(pq.ParquetFile(self._filepath).iter_batches(batch_size=nrows))
        return TablePreview(batch.to_pandas().astype(str).to_dict(orient="split"))
