"""Original units: unit labels, and what float32 storage costs.

Splits and shards store scaled values in float32. Evaluation brings them back in float64
(``Scaler.inverse_transform``) and knows how coarse a stored value is in original units:
half a float32 step of the scaled value, times the scaler's spread.

    >>> unit_label({"load": "kWh"}, "load"), unit_label({}, "load")
    ('kWh', 'original units')
"""

from collections.abc import Mapping, Sequence

import numpy as np

from lstm_pipeline.scaling.scaler import Scaler

ORIGINAL_UNITS = "original units"


def storage_half_step(scaler: Scaler, original: np.ndarray, columns: Sequence[str]):
    """Half the float32 step of each value's stored (scaled) form, in original units: the
    most float32 storage can have moved it. Same shape as ``original``."""
    center, spread = scaler.parameters(columns)
    stored = ((np.asarray(original, np.float64) - center) / spread).astype(np.float32)
    return np.spacing(np.abs(stored)).astype(np.float64) * spread / 2


def unit_label(units: Mapping[str, str], target: str) -> str:
    """The unit of ``target`` ("kW"), or "original units" when none is declared."""
    return units.get(target) or ORIGINAL_UNITS


def shared_unit_label(units: Mapping[str, str], targets: Sequence[str]) -> str:
    """One label for a quantity pooled over ``targets``: their unit when they share one."""
    labels = {unit_label(units, t) for t in targets}
    return labels.pop() if len(labels) == 1 else ORIGINAL_UNITS
