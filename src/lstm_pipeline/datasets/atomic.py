"""Catalog datasets whose save is atomic on local disk.

kedro-datasets writes straight into the target file, so a crash or a full disk mid-save
leaves a truncated artifact. These subclasses write through :func:`lstm_pipeline.files.
atomic_target`: a hidden temporary beside the target, renamed into place when complete, so
the previous artifact stays byte-identical until the new one is whole.

On object storage (``filepath: s3://...``) there is no rename, and a file opened for writing
is committed when it closes even if the write failed (a 0-byte or truncated object at the
final key). There the parent's save writes into a local scratch file, which is then put at
the final key in one piece: a put is atomic, so a failed save leaves the previous object.
"""

import io
import json
import re
from pathlib import PurePosixPath
from typing import Any

import fsspec
import yaml
from kedro.io import DatasetError
from kedro.io.core import get_filepath_str
from kedro_datasets.json import JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro_datasets.pandas import ParquetDataset
from kedro_datasets.plotly import JSONDataset as PlotlyJSONDataset
from kedro_datasets.text import TextDataset
from kedro_datasets.yaml import YAMLDataset

from lstm_pipeline.files import atomic_target
from lstm_pipeline.lineage import KEY, lineage_of
from lstm_pipeline.storage.remote import Remote, scratch_folder, storage_error, upload


class AtomicSaveMixin:
    """Redirect the parent's save to a temporary path, then rename it over the target (on
    local disk) or put it at the target in one piece (on an object store)."""

    def save(self, data: Any) -> None:
        if self._protocol != "file":
            self._save_remote(data)
            return
        if self._version is not None:  # versioned saves never overwrite
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

    def load(self) -> Any:
        """The parent's load; on an object store, its failures name the URL and what to
        check (:class:`~lstm_pipeline.storage.StorageError`)."""
        try:
            return super().load()
        except DatasetError as exc:  # the parent's load wraps what the store raised
            if self._protocol == "file" or exc.__cause__ is None:
                raise
            url = self._remote_at(self._filepath).url  # the entry's URL, version aside
            error = storage_error(url, exc.__cause__)
            if error is None:
                raise
            raise error from exc.__cause__

    def _remote_at(self, path: PurePosixPath) -> Remote:
        """``path`` (a save or load path of this entry) on the entry's object store."""
        key = get_filepath_str(path, self._protocol)
        return Remote(url=f"{self._protocol}://{key}", fs=self._fs, root=key)

    def _save_remote(self, data: Any) -> None:
        """The parent's save into a local scratch file, then one put at the final key."""
        remote = self._remote_at(self._get_save_path())
        key = remote.root
        store, final, version = self._fs, self._filepath, self._version
        with scratch_folder() as scratch:
            local = scratch / PurePosixPath(key).name
            self._fs = fsspec.filesystem("file", auto_mkdir=True)
            self._filepath, self._version = PurePosixPath(local), None
            try:
                super().save(data)
            finally:
                self._fs, self._filepath, self._version = store, final, version
            upload(remote, local)
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


_YAML_LINEAGE = re.compile(r"^# lineage: (?P<json>\{.*\})$", re.MULTILINE)


class _CommentedLineageYAML(YAMLDataset):
    """A dict's lineage as the file's last line, a YAML comment, instead of a key."""

    def save(self, data: dict) -> None:
        body = {k: v for k, v in data.items() if k != KEY}
        text = yaml.safe_dump(body, **{"sort_keys": False, **self._save_args})
        if data.get(KEY):
            text += f"# lineage: {json.dumps(data[KEY])}\n"
        path = get_filepath_str(self._get_save_path(), self._protocol)
        with self._fs.open(path, **self._fs_open_args_save) as stream:
            stream.write(text)
        self._invalidate_cache()

    def load(self) -> dict:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(path, **self._fs_open_args_load) as stream:
            text = stream.read()
        text = text.decode() if isinstance(text, bytes) else text
        data = yaml.safe_load(text)
        found = _YAML_LINEAGE.search(text)
        if found and isinstance(data, dict):
            data[KEY] = json.loads(found["json"])
        return data


class AtomicYAMLDataset(AtomicSaveMixin, _CommentedLineageYAML):
    """``yaml.YAMLDataset`` with an atomic save. A dict's lineage is written as a trailing
    YAML comment (``# lineage: {...}``), not a key, so the file stays one a user can copy
    into conf/<env>/ (tuning's best_parameters); load reads it back."""
