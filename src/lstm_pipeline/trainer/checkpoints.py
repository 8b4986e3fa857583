"""Checkpoints that let a killed run continue exactly where it stopped.

A checkpoint is a full ``.keras`` file (weights, optimizer state including gradient
accumulators, loss scale and random-seed states) plus ``state.json`` (epoch, micro-batches
done in that epoch, partial epoch loss, early-stopping and plateau counters, history so
far). Each model file carries its step in its name and ``state.json`` is replaced
atomically after it, so a kill at any moment leaves a consistent pair.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lstm_pipeline.errors import CheckpointError
from lstm_pipeline.files import write_atomically

logger = logging.getLogger(__name__)
STATE = "state.json"


@dataclass
class TrainerState:
    fingerprint: str
    epoch: int = 0  # the epoch in progress (or the next one)
    batches_done: int = 0  # micro-batches of `epoch` already trained on
    loss_sum: float = 0.0  # sum of per-batch losses of `epoch` so far
    updates: int = 0
    best_val_loss: float | None = None
    epochs_without_improvement: int = 0
    plateau_best: float | None = None
    plateau_wait: int = 0
    history: dict = field(default_factory=dict)
    finished: bool = False
    stop_reason: str | None = None
    model_file: str | None = None
    best_weights_file: str | None = None
    seed_states: list = field(default_factory=list)  # dropout RNG + stateful RNN states


def fingerprint(*parts) -> str:
    """A hash of everything that determines a run's result."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CheckpointStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._stale: list[str] = []  # superseded best-weights files, removed on commit

    def read_state(self) -> TrainerState | None:
        path = self.folder / STATE
        if not path.is_file():
            return None
        try:
            return TrainerState(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            raise CheckpointError(
                f"'{path}' is not a readable checkpoint state ({exc}). Delete '{self.folder}' "
                f"to start training from scratch."
            ) from exc

    def save(self, model, state: TrainerState, tag: str) -> None:
        """Write the model as ``<tag>.keras``, then point ``state.json`` at it."""
        name = f"{tag}.keras"
        write_atomically(self.folder / name, model.save)
        previous = state.model_file
        state.model_file = name
        state.seed_states = seed_states(model)
        self._write_state(state)
        if previous and previous != name:
            (self.folder / previous).unlink(missing_ok=True)

    def save_best_weights(self, model, state: TrainerState, tag: str) -> None:
        name = f"best-{tag}.weights.h5"
        write_atomically(self.folder / name, model.save_weights)
        previous = state.best_weights_file
        state.best_weights_file = name
        if previous and previous != name:
            self._stale.append(previous)

    def commit(self, state: TrainerState) -> None:
        """Write ``state.json`` alone (after best weights changed with no new model file)."""
        self._write_state(state)

    def load_model(self, state: TrainerState):
        import keras

        import lstm_pipeline.trainer.optimizers  # noqa: F401 - registers PerUpdateSchedule

        path = self.folder / (state.model_file or "")
        if not path.is_file():
            raise CheckpointError(
                f"'{self.folder / STATE}' points at '{path}', which is missing. Delete "
                f"'{self.folder}' to start training from scratch."
            )
        model = keras.saving.load_model(path, safe_mode=True)
        restore_seed_states(model, state.seed_states)
        return model

    def restore_best_weights(self, model, state: TrainerState) -> None:
        model.load_weights(self.folder / state.best_weights_file)

    def clear(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.is_file() and (path.suffix in (".keras", ".h5") or path.name == STATE):
                path.unlink()

    def _write_state(self, state: TrainerState) -> None:
        text = json.dumps(asdict(state), indent=2)
        write_atomically(self.folder / STATE, lambda target: Path(target).write_text(text))
        for name in self._stale:
            (self.folder / name).unlink(missing_ok=True)
        self._stale.clear()


def _extra_variables(model) -> list:
    """State a ``.keras`` file does not hold: the SeedGenerator states dropout draws its masks
    from, and the hidden/cell states of stateful recurrent layers (truncated BPTT). Matched
    by position: their names get a global counter suffix when a model is loaded."""
    weights = {id(w) for w in model.weights}
    extra = [v for v in model.variables if id(v) not in weights]
    for layer in model.layers:
        if getattr(layer, "stateful", False) and layer.states is not None:
            extra.extend(layer.states)
    return extra


def seed_states(model) -> list:
    return [v.numpy().tolist() for v in _extra_variables(model)]


def restore_seed_states(model, states: list) -> None:
    variables = _extra_variables(model)
    if states and len(states) != len(variables):
        raise CheckpointError(
            f"The checkpoint holds {len(states)} random-seed/recurrent states but the model "
            f"has {len(variables)}: it belongs to another model."
        )
    for variable, value in zip(variables, states, strict=False):
        variable.assign(value)
