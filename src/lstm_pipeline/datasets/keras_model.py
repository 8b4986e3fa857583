"""Catalog entry for a Keras 3 ``.keras`` model, saved atomically, loaded with safe_mode."""

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from lstm_pipeline.files import write_atomically


class KerasModelDataset(AbstractDataset):
    """A ``.keras`` file. Save writes a hidden temporary file renamed into place, so a
    crash leaves the previous model intact; load never runs code from the file
    (``safe_mode=True``: no Lambda layers, only registered classes).

    Example catalog entry::

        model:
          type: lstm_pipeline.datasets.KerasModelDataset
          filepath: data/06_models/model.keras
    """

    def __init__(
        self, filepath: str, compile: bool = True, metadata: dict[str, Any] | None = None
    ) -> None:
        if not filepath.endswith(".keras"):
            raise DatasetError(f"KerasModelDataset needs a '.keras' filepath, got '{filepath}'")
        self._filepath = Path(filepath)
        self._compile = compile
        self.metadata = metadata

    def load(self):
        import keras

        import lstm_pipeline.trainer.optimizers  # noqa: F401 - registers the project's schedule

        return keras.saving.load_model(self._filepath, compile=self._compile, safe_mode=True)

    def save(self, data) -> None:
        write_atomically(self._filepath, data.save)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "compile": self._compile}
