"""Catalog entry for a Keras 3 ``.keras`` model, saved atomically, loaded with safe_mode."""

import json
import zipfile
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from lstm_pipeline.files import write_atomically
from lstm_pipeline.lineage import attach, lineage_of
from lstm_pipeline.storage import DEFAULT_CACHE, is_remote, open_remote
from lstm_pipeline.storage.remote import exists, scratch_folder, stage_file, upload

# Keras reads only the entries it knows from the archive, so the lineage can travel inside
LINEAGE_ENTRY = "lstm_pipeline_lineage.json"


class KerasModelDataset(AbstractDataset):
    """A ``.keras`` file. Save writes a hidden temporary file renamed into place, so a
    crash leaves the previous model intact; load never runs code from the file
    (``safe_mode=True``: no Lambda layers, only registered classes). The model's lineage
    (which runs made it, see :mod:`lstm_pipeline.lineage`) is stored inside the archive.

    Example catalog entry::

        model:
          type: lstm_pipeline.datasets.KerasModelDataset
          filepath: data/06_models/model.keras

    On object storage (``filepath: s3://bucket/run/model.keras``, ``credentials`` from
    conf/local/credentials.yml) save writes the file locally and puts it in one piece; load
    opens a copy staged in ``cache`` (Keras reads only local files), downloaded once per
    version of the object.
    """

    def __init__(  # noqa: PLR0913 - the catalog's keys
        self,
        filepath: str,
        compile: bool = True,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        cache: str = DEFAULT_CACHE,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not filepath.endswith(".keras"):
            raise DatasetError(f"KerasModelDataset needs a '.keras' filepath, got '{filepath}'")
        self._remote = open_remote(filepath, credentials, fs_args) if is_remote(filepath) else None
        self._filepath = Path(filepath)  # local files only
        self._where = filepath
        self._cache = cache
        self._compile = compile
        self.metadata = metadata

    def _local_file(self) -> Path:
        """The file Keras opens: the local file, or the staged copy of the remote one."""
        if self._remote is None:
            return self._filepath
        return stage_file(self._remote, self._cache)

    def load(self):
        path = self._local_file()
        model = self._read(path, compile=self._compile)
        with zipfile.ZipFile(path) as archive:
            if LINEAGE_ENTRY in archive.namelist():
                attach(model, json.loads(archive.read(LINEAGE_ENTRY)))
        return model

    def _read(self, path: Path, compile: bool):
        import keras

        import lstm_pipeline.models.masking  # noqa: F401 - registers the masking layers
        import lstm_pipeline.trainer.optimizers  # noqa: F401 - registers the project's schedule

        return keras.saving.load_model(path, compile=compile, safe_mode=True)

    def save(self, data) -> None:
        lineage = lineage_of(data)

        def write(temporary: str) -> None:
            data.save(temporary)
            if lineage is not None:
                with zipfile.ZipFile(temporary, "a") as archive:
                    archive.writestr(LINEAGE_ENTRY, json.dumps(lineage))

        if self._remote is None:
            write_atomically(self._filepath, write)
            return
        with scratch_folder() as scratch:  # Keras writes only local files
            local = scratch / "model.keras"
            write(str(local))
            upload(self._remote, local)

    def _exists(self) -> bool:
        if self._remote is not None:
            return exists(self._remote)
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._where, "compile": self._compile}

    def preview(self) -> TablePreview:
        """kedro-viz: the model's layers, each with its type, output shape and parameter
        count, and a last row with the model's total (loaded uncompiled: no optimizer)."""
        return TablePreview(layer_table(self._read(self._local_file(), compile=False)))


COLUMNS = ["layer", "type", "output shape", "parameters"]


def layer_table(model) -> dict:
    """``model``'s layers as a table in pandas' "split" layout (``columns``, ``index``,
    ``data``): name, class, output shape (None: any batch size or length) and parameters,
    input layers left out; the last row is the total of the whole model."""
    rows = [
        [layer.name, type(layer).__name__, _shape_text(layer), _parameters(layer)]
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
    ]
    rows.append(["total", "", "", model.count_params()])
    return {"columns": COLUMNS, "index": list(range(len(rows))), "data": rows}


def _parameters(layer) -> int:
    return layer.count_params() if layer.built else 0


def _shape_text(layer) -> str:
    """'(None, 24, 1)'; several outputs joined by ', '; '?' for a layer never called."""
    import keras

    try:
        output = layer.output
    except (AttributeError, ValueError):
        return "?"
    shapes = [str(tuple(tensor.shape)) for tensor in keras.tree.flatten(output)]
    return ", ".join(shapes)
