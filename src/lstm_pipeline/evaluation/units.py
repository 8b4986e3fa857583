"""Original units: the float64 inverse transform, unit labels, and what float32 storage costs.

Splits and shards store scaled values in float32. Evaluation brings them back in float64
(``Scaler.inverse_transform`` returns float32, which turns values beyond 3.4e38 into inf
and rounds to 7 digits), and knows how coarse a stored value is in original units: half a
float32 step of the scaled value, times the scaler's spread.

    >>> to_original(scaler, scaled_targets, ["load"])        # float64
    >>> unit_label({"load": "kWh"}, "load"), unit_label({}, "load")
    ('kWh', 'original units')
"""

from collections.abc import Mapping, Sequence

import numpy as np

from lstm_pipeline.scaling.scaler import Scaler

ORIGINAL_UNITS = "original units"


def to_original(scaler: Scaler, values, columns: Sequence[str]) -> np.ndarray:
    """Scaled values (last axis follows ``columns``) in original units, float64.

    Raises:
        KeyError: a column the scaler was not fitted on.
    """
    center, spread = scaler.parameters(columns)
    return np.asarray(values, np.float64) * spread + center


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
