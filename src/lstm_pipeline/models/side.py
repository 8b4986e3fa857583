"""Inputs beside the window of past values, for the forecasting models that take them.

- ``future``: columns known ahead of time (calendar features: the hour of every target step
  is known when the forecast is made), over the forecast horizon, ``(batch, horizon, n)``.
- ``series``: which series a window belongs to (many series), an int32 code per window,
  ``(batch,)``, learned as an embedding (``modelling.series_embedding_dim``).

The model takes ``{"inputs": window, "future": ..., "series": ...}`` (only the side inputs it
has); both join the architecture's summary of the window before the dense head, so every
window architecture can take them. The stateful per-step model of truncated BPTT cannot.

    >>> side = SideInputs(future=4, series=3)
    >>> tensors = side_tensors(side, horizon=24)        # keras.Input of each
    >>> x = join_side(spec, side, features, tensors)    # before the dense head
"""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SideInputs:
    """How many future columns, and how many series (0: that input is off)."""

    future: int = 0
    series: int = 0

    def __bool__(self) -> bool:
        return bool(self.future or self.series)

    @classmethod
    def from_record(cls, record: dict) -> "SideInputs":
        """The side inputs a windowing record (or manifest) lists; none when it lists none."""
        return cls(**(record.get("side_inputs") or {}))

    def to_dict(self) -> dict:
        return asdict(self)


NO_SIDE_INPUTS = SideInputs()


def side_tensors(side: SideInputs, horizon: int) -> dict:
    """A ``keras.Input`` per side input that is on, named as the batches name them."""
    import keras

    tensors = {}
    if side.future:
        tensors["future"] = keras.Input(shape=(horizon, side.future), name="future")
    if side.series:
        tensors["series"] = keras.Input(shape=(), dtype="int32", name="series")
    return tensors


def join_side(spec, side: SideInputs, features, tensors: dict):
    """The window's features with the flattened future columns and the series embedding
    concatenated (``features`` unchanged when there is neither)."""
    import keras

    parts = [features]
    if "future" in tensors:
        parts.append(keras.layers.Flatten(name="future_steps")(tensors["future"]))
    if "series" in tensors:
        dim = spec.series_embedding_dim
        embed = keras.layers.Embedding(side.series, dim, name="series_embedding")
        parts.append(embed(tensors["series"]))
    if len(parts) == 1:
        return features
    return keras.layers.Concatenate(name="window_and_side")(parts)


def random_side_batch(side: SideInputs, batch: int, horizon: int, rng) -> dict:
    """Random side inputs of a batch (batch planning measures the model with them)."""
    values = {}
    if side.future:
        values["future"] = rng.uniform(-1, 1, (batch, horizon, side.future)).astype("float32")
    if side.series:
        values["series"] = rng.integers(side.series, size=batch).astype("int32")
    return values
