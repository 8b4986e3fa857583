"""Shards per input length, windowed once and reused by every trial of that length.

A trial that changes only model or training settings reads the stored shards; one whose
``input_length`` differs reads ``<folder>/len_<L>-<key>/{train,val}_shards``, written the
first time a trial asks for that length (atomically: a killed write leaves no half folder).
``key`` names what the windows were cut from (settings and source shards), so new data or
other windowing settings never meet stale windows.
"""

from collections.abc import Callable
from pathlib import Path

from lstm_pipeline.files import atomic_target, exclusive_lock
from lstm_pipeline.trainer.checkpoints import fingerprint
from lstm_pipeline.windows.manifest import MANIFEST
from lstm_pipeline.windows.reader import ShardSet
from lstm_pipeline.windows.writing import ShardJob

SPLITS = ("train", "val")  # tuning never windows the test split


class ShardCache:
    """Train and val shard sets by input length.

    Args:
        folder: where windowed lengths are kept (under the tuning folder).
        stored: ``{"train": ShardSet, "val": ShardSet}`` of the windowing stage.
        make_job: ``(split, input_length) -> ShardJob`` that windows that split.
        settings: the windowing settings the jobs use, for the cache key.
    """

    def __init__(
        self,
        folder: str | Path,
        stored: dict[str, ShardSet],
        make_job: Callable[[str, int], ShardJob],
        settings: dict,
    ) -> None:
        self.folder = Path(folder)
        self.stored = stored
        self.make_job = make_job
        sources = [[s.sha256 for s in stored[split].manifest.shards] for split in SPLITS]
        self.key = fingerprint(settings, sources)[:8]

    @property
    def stored_length(self) -> int | None:
        """The input length of the stored shards (None: labelled sequences)."""
        return getattr(self.stored["train"].manifest, "input_length", None)

    def shards(self, input_length: int | None) -> dict[str, ShardSet]:
        """The train and val shards for ``input_length`` (None: the stored ones)."""
        if input_length is None or input_length == self.stored_length:
            return self.stored
        return {split: self._windowed(split, input_length) for split in SPLITS}

    def _windowed(self, split: str, input_length: int) -> ShardSet:
        path = self.folder / f"len_{input_length}-{self.key}" / f"{split}_shards"
        if not (path / MANIFEST).is_file():
            with exclusive_lock(path), atomic_target(path) as temporary:
                self.make_job(split, input_length).write(temporary)
        return ShardSet(path)
