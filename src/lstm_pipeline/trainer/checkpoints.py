"""Checkpoints that let a killed run continue exactly where it stopped.

A checkpoint is a full ``.keras`` file (weights, optimizer state including gradient
accumulators, loss scale) plus ``state.json`` (epoch, micro-batches done in that epoch, the
epoch's loss so far, early-stopping and plateau counters, history so far, the batch size
the run started with, and the random-generator and recurrent states a ``.keras`` file does
not hold). Each model file carries its run and step in its name and ``state.json`` is
replaced atomically after it, so a kill at any moment leaves a consistent pair.

Files are removed only once no state names them, after a new ``state.json`` is in place;
its predecessor stays as ``state.previous.json``. So a new run (other settings, or a
retrain) that fails before its first checkpoint leaves the previous run's checkpoints as
they were, and a run that diverges right after a checkpoint (whose weights may already hold
the diverging update) goes back to the checkpoint before it.

The folder is locked for the whole of a run (:meth:`CheckpointStore.locked`): a second run
training into it fails at once, naming the first one's pid.
"""

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath, PureWindowsPath

from lstm_pipeline.errors import CheckpointError
from lstm_pipeline.files import exclusive_lock, sweep, write_atomically
from lstm_pipeline.models.sequence import stateful_layers

logger = logging.getLogger(__name__)
STATE = "state.json"
PREVIOUS_STATE = "state.previous.json"  # the checkpoint before the last, until it is checked
STATE_FORMAT = 2  # 2: per-run file names, loss tracker totals, batch size, path checks
_CHECKPOINT_SUFFIXES = (".keras", ".h5")
_FILE_FIELDS = ("model_file", "best_weights_file")  # names of files inside the folder


@dataclass
class TrainerState:
    """Where a run stands, saved as ``state.json`` beside its model file."""

    fingerprint: str
    format: int = STATE_FORMAT
    batch_size: int | None = None  # micro-batch size the run started with (kept on resume)
    epoch: int = 0  # the epoch in progress (or the next one)
    batches_done: int = 0  # micro-batches of `epoch` already trained on
    loss_total: float = 0.0  # Keras's loss tracker of `epoch`: sum of loss x samples
    loss_samples: float = 0.0  # ... and the samples counted (the epoch loss is the ratio)
    metric_states: list = field(default_factory=list)  # the epoch's compiled metrics (accuracy)
    first_batch_loss: float | None = None  # the run's first loss: divergence is measured by it
    updates: int = 0
    best_val_loss: float | None = None  # of the monitored loss (val_loss, or loss without val)
    epochs_without_improvement: int = 0
    plateau_best: float | None = None
    plateau_wait: int = 0
    history: dict = field(default_factory=dict)
    finished: bool = False
    stop_reason: str | None = None
    model_file: str | None = None
    best_weights_file: str | None = None
    # dropout's random-generator states and stateful RNN states: not in .keras files
    rng_and_rnn_states: list = field(default_factory=list)

    @property
    def epoch_loss(self) -> float:
        """The epoch's mean loss so far, computed as Keras's float32 ``Mean`` does."""
        import numpy as np

        return float(np.float32(self.loss_total) / np.float32(max(self.loss_samples, 1.0)))


def fingerprint(*parts) -> str:
    """A hash of everything that determines a run's result."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CheckpointStore:
    """The checkpoint folder of one run: its state, model files and best weights."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        # no loss has been computed with the last checkpoint's weights in this process yet
        self._last_unchecked = True
        self._pending_best = None  # (file name, weights): written by the next checkpoint

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder for a run, first clearing what a killed run left half-written.
        Raises :class:`LockHeldError` naming the holder's pid when another process trains
        into it; the OS releases the lock if the holder dies."""
        with exclusive_lock(self.folder):
            sweep(self.folder)
            yield

    def read_state(self) -> TrainerState | None:
        """The saved state, or None when there is none or an older version wrote it.

        Raises :class:`CheckpointError` when ``state.json`` is unreadable or names a file
        outside the folder (an absolute path, ``..`` or any separator)."""
        path = self.folder / STATE
        if not path.is_file():
            return None
        try:
            saved = json.loads(path.read_text())
            if saved.get("format") != STATE_FORMAT:
                logger.warning("'%s' was written by an older version: not resumed.", path)
                return None
            known = {f.name for f in fields(TrainerState)}
            state = TrainerState(**{k: v for k, v in saved.items() if k in known})
        except (json.JSONDecodeError, TypeError, AttributeError) as exc:
            raise CheckpointError(
                f"'{path}' is not a readable checkpoint state ({exc}). Delete '{self.folder}' "
                f"to start training from scratch."
            ) from exc
        for name in _FILE_FIELDS:
            _check_confined(getattr(state, name), name, path)
        return state

    def save(self, model, state: TrainerState, tag: str, *, checked: bool = False) -> None:
        """Write the model as ``<run>-<tag>.keras``, then point ``state.json`` at it.

        ``checked``: a loss computed with these weights has passed the divergence check
        (validation at an epoch's end). A step checkpoint is checked by the next micro-batch's
        loss; until then the checkpoint before it is kept as well."""
        self._write_pending_best(model)
        name = f"{state.fingerprint[:8]}-{tag}.keras"
        write_atomically(self.folder / name, model.save)
        state.model_file = name
        state.rng_and_rnn_states = read_rng_and_rnn_states(model)
        self._write_state(state)
        self._last_unchecked = not checked

    def confirm_last(self) -> None:
        """A loss computed with the last checkpoint's weights passed the divergence check."""
        self._last_unchecked = False

    def keep_last_good(self, state: TrainerState) -> str:
        """After a divergence: drop the last checkpoint if no loss was computed with its weights
        before the divergence showed (the diverging update may be in it), so that ``state.json``
        names the checkpoint before it. Returns what is kept, in words."""
        kept = self.read_state()
        if self._last_unchecked and kept is not None and kept.fingerprint == state.fingerprint:
            self._drop_last()
            kept = self.read_state()
        if kept is None:
            return f"'{self.folder}' holds no checkpoint to resume from"
        where = f"'{self.folder / STATE}' -> '{kept.model_file}'"
        if kept.fingerprint != state.fingerprint:
            return f"this run has no good checkpoint; the previous run's are untouched ({where})"
        return (
            f"the last good checkpoint is kept ({where}: epoch {kept.epoch + 1}, micro-batch "
            f"{kept.batches_done}, optimizer update {kept.updates})"
        )

    def _drop_last(self) -> None:
        previous, current = self.folder / PREVIOUS_STATE, self.folder / STATE
        if previous.is_file():
            os.replace(previous, current)
        else:
            current.unlink()  # the run's only checkpoint: none is good
        self._last_unchecked = False

    def save_best_weights(self, model, state: TrainerState, tag: str) -> None:
        """Hold the best weights so far in memory; the next :meth:`save` writes them before
        the state naming them (a file per improvement cost as much as a short epoch)."""
        name = f"{state.fingerprint[:8]}-best-{tag}.weights.h5"
        self._pending_best = (name, model.get_weights())
        state.best_weights_file = name

    def _write_pending_best(self, model) -> None:
        """Write the best weights held in memory (through ``model``, put back after)."""
        if self._pending_best is None:
            return
        name, best = self._pending_best
        current = model.get_weights()
        model.set_weights(best)
        try:
            write_atomically(self.folder / name, model.save_weights)
        finally:
            model.set_weights(current)
        self._pending_best = None

    def load_model(self, state: TrainerState):
        """The checkpointed model, compiled, with its random-generator and recurrent states.
        Raises :class:`CheckpointError` when the file is missing or belongs to another model."""
        import keras

        import lstm_pipeline.models.masking  # noqa: F401 - registers the masking layers
        import lstm_pipeline.trainer.optimizers  # noqa: F401 - registers PerUpdateSchedule

        path = self.folder / (state.model_file or "")
        if not state.model_file or not path.is_file():
            raise CheckpointError(
                f"'{self.folder / STATE}' points at '{path}', which is missing. Delete "
                f"'{self.folder}' to start training from scratch."
            )
        model = keras.saving.load_model(path, safe_mode=True)
        restore_rng_and_rnn_states(model, state.rng_and_rnn_states)
        return model

    def restore_best_weights(self, model, state: TrainerState) -> None:
        """Load the best weights so far (early stopping) into ``model``."""
        pending = self._pending_best
        if pending is not None and pending[0] == state.best_weights_file:
            model.set_weights(pending[1])
            return
        model.load_weights(self.folder / state.best_weights_file)

    def _write_state(self, state: TrainerState) -> None:
        """Replace ``state.json`` (its predecessor kept as ``state.previous.json``), then
        remove the files neither names."""
        current, previous = self.folder / STATE, self.folder / PREVIOUS_STATE
        if current.is_file():
            before = current.read_text()
            write_atomically(previous, lambda target: Path(target).write_text(before))
        text = json.dumps(asdict(state), indent=2)
        write_atomically(current, lambda target: Path(target).write_text(text))
        self._remove_unreferenced(_named_files(current) | _named_files(previous))

    def _remove_unreferenced(self, keep: set[str]) -> None:
        """Model and weights files no state names: superseded checkpoints of this run, or a
        previous run's (only once this run has checkpoints of its own)."""
        for path in self.folder.iterdir():
            name = path.name  # names starting with '.' are temporaries of writes in progress
            checkpoint = name.endswith(_CHECKPOINT_SUFFIXES) and not name.startswith(".")
            if checkpoint and name not in keep and path.is_file():
                path.unlink(missing_ok=True)


def _named_files(state_path: Path) -> set[str]:
    """The file names a state file names (none when it is absent or unreadable)."""
    try:
        saved = json.loads(state_path.read_text())
        return {saved[k] for k in _FILE_FIELDS if isinstance(saved.get(k), str)}
    except (OSError, ValueError, AttributeError):
        return set()


def _check_confined(name: str | None, field_name: str, state_path: Path) -> None:
    """Refuse a file name that could reach outside the checkpoint folder."""
    if name is None:
        return
    plain = (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and PurePosixPath(name).name == name
        and PureWindowsPath(name).name == name
    )
    if not plain:
        raise CheckpointError(
            f"'{state_path}' has {field_name} = {name!r}: checkpoint files must be plain "
            f"file names inside '{state_path.parent}' (no absolute path, '..' or separator). "
            f"Nothing was loaded or deleted. Delete '{state_path.parent}' to start afresh."
        )


def _variables_not_in_keras_files(model) -> list:
    """State a ``.keras`` file does not hold: the SeedGenerator states dropout draws its masks
    from, and the hidden/cell states of stateful recurrent layers (truncated BPTT). Matched
    by position: their names get a global counter suffix when a model is loaded."""
    weights = {id(w) for w in model.weights}
    extra = [v for v in model.variables if id(v) not in weights]
    for layer in stateful_layers(model):
        if layer.states is not None:
            extra.extend(layer.states)
    return extra


def read_rng_and_rnn_states(model) -> list:
    """Dropout's random-generator states and stateful RNN states, as JSON-ready lists."""
    return [v.numpy().tolist() for v in _variables_not_in_keras_files(model)]


def restore_rng_and_rnn_states(model, states: list) -> None:
    """Put back what :func:`read_rng_and_rnn_states` read. Raises :class:`CheckpointError`
    when their number does not match the model (a checkpoint of another model)."""
    variables = _variables_not_in_keras_files(model)
    if states and len(states) != len(variables):
        raise CheckpointError(
            f"The checkpoint holds {len(states)} random-generator/recurrent states but the "
            f"model has {len(variables)}: it belongs to another model."
        )
    for variable, value in zip(variables, states, strict=False):
        variable.assign(value)
