"""Catalog datasets whose save is atomic on local disk.

kedro-datasets writes straight into the target file, so a crash or a full disk mid-save
leaves a truncated artifact. These subclasses write through :func:`lstm_pipeline.files.
atomic_target`: a hidden temporary beside the target, renamed into place when complete, so
the previous artifact stays byte-identical until the new one is whole.
"""

import io
import json
from pathlib import PurePosixPath
from typing import Any

from kedro_datasets.json import JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro_datasets.pandas import ParquetDataset
from kedro_datasets.plotly import JSONDataset as PlotlyJSONDataset
from kedro_datasets.text import TextDataset

from lstm_pipeline.files import atomic_target
from lstm_pipeline.lineage import lineage_of


class AtomicSaveMixin:
    """Redirect the parent's save to a temporary path, then rename it over the target."""

    def save(self, data: Any) -> None:
        if self._protocol != "file" or self._version is not None:
            # Object stores replace whole objects; versioned saves never overwrite.
            super().save(data)
            return
        final = self._filepath
        with atomic_target(str(final)) as temporary:
            self._filepath = PurePosixPath(temporary)
            try:
                super().save(data)
            finally:
                self._filepath = final
        self._invalidate_cache()


class AtomicParquetDataset(AtomicSaveMixin, ParquetDataset):
    """``pandas.ParquetDataset`` with an atomic local save."""


class AtomicJSONDataset(AtomicSaveMixin, JSONDataset):
    """``json.JSONDataset`` with an atomic local save."""


class AtomicTextDataset(AtomicSaveMixin, TextDataset):
    """``text.TextDataset`` with an atomic local save."""


class AtomicPlotlyDataset(AtomicSaveMixin, PlotlyJSONDataset):
    """``plotly.JSONDataset`` with an atomic local save."""


class AtomicMatplotlibDataset(AtomicSaveMixin, MatplotlibDataset):
    """``matplotlib.MatplotlibDataset`` (one figure) with an atomic local save; a PNG keeps
    the figure's lineage (which run drew it) in its text metadata."""

    def _save_to_fs(self, full_key_path: str, plot) -> None:
        lineage = lineage_of(plot)
        if lineage is None or not full_key_path.lower().endswith(".png"):
            super()._save_to_fs(full_key_path, plot)
            return
        buffer = io.BytesIO()
        plot.savefig(buffer, **{**self._save_args, "metadata": {"lineage": json.dumps(lineage)}})
        with self._fs.open(full_key_path, **self._fs_open_args_save) as target:
            target.write(buffer.getvalue())
