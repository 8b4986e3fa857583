"""Catalog entry for a group of plots: one folder of PNGs and their Plotly twins, replaced
whole, so the set of plots can differ from run to run (by task) behind one catalog entry."""

import json
import re
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import PlotlyPreview

from lstm_pipeline.datasets.plot_menu import figure_menu
from lstm_pipeline.files import atomic_target, exclusive_lock, recover
from lstm_pipeline.lineage import KEY, attach
from lstm_pipeline.storage import is_remote, open_remote
from lstm_pipeline.storage.remote import exists, put_bytes, read_bytes, scratch_folder, upload

INDEX = "index.json"
NAME = re.compile(r"[a-z][a-z0-9_]*")


class PlotFolderDataset(AbstractDataset[dict, dict]):
    """Save a dict ``{name: (matplotlib figure, Plotly figure)}``: every figure is written
    into a temporary folder (``<name>.png``, ``<name>.plotly.json``, and ``index.json``
    listing them), swapped into place when complete under a lock on the folder, so a
    killed run leaves the previous set or the new one, never a mixture. The ``lineage`` key
    the lineage hook adds to the dict goes into index.json, each PNG's text metadata and
    each Plotly figure's ``layout.meta``.

    Load returns ``{name: {"png": path, "plotly": path}}`` in the saved order, plus the
    ``lineage`` key (the lineage hook hands nodes the dict without it). kedro-viz previews
    the first Plotly figure.

    Example catalog entry::

        evaluation_plots:
          type: lstm_pipeline.datasets.PlotFolderDataset
          path: data/08_reporting/plots
          dpi: 110

    On object storage (``path: s3://...``, ``credentials``) the folder is drawn locally,
    then every file is put in one piece and ``index.json`` last; load returns the files'
    URLs. Each object is replaced atomically, the set is not: a save that fails between two
    puts leaves some new figures beside the old index (the next save completes it).
    """

    def __init__(  # noqa: PLR0913 - the catalog's keys
        self,
        path: str,
        dpi: int = 110,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._remote = open_remote(path, credentials, fs_args) if is_remote(path) else None
        self._path = Path(path)  # local folders only
        self._where = path.rstrip("/")
        self._dpi = dpi
        self.metadata = metadata

    def save(self, data: dict) -> None:
        """Write every figure of ``data`` into a temporary folder swapped into place."""
        figures = {name: pair for name, pair in data.items() if name != KEY}
        _check_figures(self._path, figures)
        lineage = data.get(KEY)
        try:
            if self._remote is not None:
                self._save_remote(figures, lineage)
                return
            with exclusive_lock(self._path), atomic_target(self._path) as temporary:
                self._write_folder(temporary, figures, lineage)
        finally:
            _close(png for png, _ in figures.values())

    def _write_folder(self, folder: Path, figures: dict, lineage: dict | None) -> None:
        folder.mkdir()
        for name, (png, interactive) in figures.items():
            self._write_png(folder / f"{name}.png", png, lineage)
            _write_plotly(folder / f"{name}.plotly.json", interactive, lineage)
        index = {"plots": list(figures), KEY: lineage}
        (folder / INDEX).write_text(json.dumps(index, indent=2))

    def _save_remote(self, figures: dict, lineage: dict | None) -> None:
        """Draw every file locally first (a failing figure puts nothing), then put them,
        index.json last."""
        with scratch_folder() as scratch:
            local = scratch / "plots"
            self._write_folder(local, figures, lineage)
            for name in figures:
                for file in (f"{name}.png", f"{name}.plotly.json"):
                    upload(self._remote, local / file, file)
            put_bytes(self._remote, (local / INDEX).read_bytes(), INDEX)

    def _write_png(self, path: Path, figure, lineage: dict | None) -> None:
        metadata = {"lineage": json.dumps(lineage)} if lineage else {}
        figure.savefig(path, dpi=self._dpi, metadata=metadata)

    def load(self) -> dict:
        """``{name: {"png": path, "plotly": path}}`` and the folder's ``lineage``."""
        index = self._index()
        plots: dict[str, Any] = {
            name: {
                "png": self._location(f"{name}.png"),
                "plotly": self._location(f"{name}.plotly.json"),
            }
            for name in index["plots"]
        }
        if index.get(KEY):
            plots[KEY] = index[KEY]
        return plots

    def _index(self) -> dict:
        if self._remote is not None:
            return json.loads(read_bytes(self._remote, INDEX))
        recover(self._path)
        try:
            return json.loads((self._path / INDEX).read_text())
        except FileNotFoundError as exc:
            raise DatasetError(f"No plots saved in '{self._path}' (no {INDEX}).") from exc

    def _exists(self) -> bool:
        if self._remote is not None:
            return exists(self._remote, INDEX)
        recover(self._path)
        return (self._path / INDEX).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": self._where, "dpi": self._dpi}

    def preview(self) -> PlotlyPreview:
        """kedro-viz: every Plotly figure of the folder in one, with a drop-down menu that
        picks the plot shown (the first at first; empty without plots)."""
        names = self._index()["plots"]
        figures = {name: json.loads(self._read_text(f"{name}.plotly.json")) for name in names}
        return PlotlyPreview(figure_menu(figures))

    def _location(self, file: str) -> str:
        """The path (or, on object storage, the URL) of ``file`` in the folder."""
        if self._remote is not None:
            return self._remote.url_of(file)
        return str(self._path / file)

    def _read_text(self, file: str) -> str:
        if self._remote is not None:
            return read_bytes(self._remote, file).decode()
        return (self._path / file).read_text()


def _check_figures(path: Path, figures: dict) -> None:
    for name, pair in figures.items():
        if not (isinstance(name, str) and NAME.fullmatch(name)):
            raise DatasetError(f"{path}: plot names are lower-case identifiers, got {name!r}")
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise DatasetError(
                f"{path}: plot '{name}' must be a (matplotlib figure, Plotly figure) pair, got "
                f"{type(pair).__name__}"
            )


def _close(figures) -> None:
    import matplotlib.pyplot as plt

    for figure in figures:
        plt.close(figure)


def _write_plotly(path: Path, figure, lineage: dict | None) -> None:
    if lineage:
        attach(figure, lineage)
    path.write_text(figure.to_json())
