"""Per-feature scalers fitted in bounded memory, with the inverse transform evaluation needs.

Statistics are accumulated over row chunks in float64 (mean/variance with Chan's merge,
running min/max); the robust scaler's quantiles need one whole column at a time, never the
whole table. A fitted scaler is a plain dict, stored as JSON by the catalog.

Example:
    >>> stats = fit_scaler(train, "standard", ["load"])
    >>> scaler = Scaler(stats)
    >>> scaled = scaler.transform(train)
    >>> back = scaler.inverse_transform(scaled[["load"]].to_numpy(), ["load"])
"""

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from lstm_pipeline.errors import ColumnNotFoundError, MissingDataError
from lstm_pipeline.parallel.engine import Mapper, serial_map
from lstm_pipeline.scaling.categories import encode_categories
from lstm_pipeline.scaling.many import blocks_of, identity_columns

logger = logging.getLogger(__name__)

ScalerMethod = Literal["standard", "minmax", "robust", "none"]


def _row_blocks(frame: pd.DataFrame, columns: Sequence[str], chunk_rows: int) -> Iterator:
    """``columns`` of ``frame`` in blocks of ``chunk_rows`` rows (float32 arrays: what a
    worker receives on the Dask engine)."""
    for start in range(0, len(frame), chunk_rows):  # one block copied at a time
        yield frame.iloc[start : start + chunk_rows][list(columns)].to_numpy()


def partial_moments(block: np.ndarray) -> list[dict]:
    """Per column of ``block`` (rows x columns): count, mean, M2 (sum of squared deviations
    from the mean), min and max of the values present, in float64."""
    moments = []
    for column in np.asarray(block).T:
        part = column.astype(np.float64)
        part = part[~np.isnan(part)]
        if not len(part):
            moments.append({"count": 0, "mean": 0.0, "m2": 0.0, "min": np.inf, "max": -np.inf})
            continue
        mean = float(part.mean())
        m2 = float(((part - mean) ** 2).sum())
        moments.append(
            {
                "count": len(part),
                "mean": mean,
                "m2": m2,
                "min": float(part.min()),
                "max": float(part.max()),
            }
        )
    return moments


def combine_moments(parts: Iterable[dict]) -> dict:
    """One column's moments from those of its blocks, merged in order with Chan's parallel
    formula (stable in float64 at large offsets, unlike sums of squares)."""
    n, mean, m2 = 0, 0.0, 0.0
    low, high = np.inf, -np.inf
    for part in parts:
        k = part["count"]
        if not k:
            continue
        delta = part["mean"] - mean
        total = n + k
        mean += delta * k / total
        m2 += part["m2"] + delta * delta * n * k / total
        n = total
        low, high = min(low, part["min"]), max(high, part["max"])
    return {"count": n, "mean": mean, "std": (m2 / n) ** 0.5 if n else 0.0, "min": low, "max": high}


def column_moments(
    frame: pd.DataFrame, columns: Sequence[str], chunk_rows: int, map_items: Mapper = serial_map
) -> dict[str, dict]:
    """count, mean, std (ddof 0), min and max of each of ``columns``: partial moments of
    each row block (``map_items``: in this process or on Dask workers), then combined."""
    per_block = map_items(partial_moments, _row_blocks(frame, columns, chunk_rows))
    return {
        column: combine_moments(block[i] for block in per_block) for i, column in enumerate(columns)
    }


def _center_and_spread(method: str, stats: dict) -> tuple[float, float]:
    """What ``method`` subtracts and divides by, from a column's statistics."""
    if method == "robust":
        return stats["median"], stats["q3"] - stats["q1"]
    if method == "standard":
        return stats["mean"], stats["std"]
    if method == "minmax":
        return stats["min"], stats["max"] - stats["min"]
    return 0.0, 1.0


def fit_scaler(
    frame: pd.DataFrame,
    method: str,
    columns: Sequence[str],
    chunk_rows: int = 262_144,
    map_items: Mapper = serial_map,
) -> dict:
    """Fit ``method`` on ``frame`` (the train rows only) for each of ``columns``; the
    moments of each block of ``chunk_rows`` rows are computed by ``map_items``."""
    if method not in get_args(ScalerMethod):
        raise ValueError(f"scaler must be one of {get_args(ScalerMethod)}, got {method!r}")
    center, scale, statistics, constant = {}, {}, {}, []
    moments = column_moments(frame, columns, chunk_rows, map_items)
    for column in columns:
        stats = moments[column]
        if stats["count"] == 0:
            raise MissingDataError(
                f"Column '{column}' has no value in the train split "
                f"({frame.index[0]} to {frame.index[-1]}); it cannot be scaled. Move the split "
                f"or drop the column from 'ingestion.features'."
            )
        if method == "robust":  # quantiles need the whole column: never from partial moments
            q1, median, q3 = np.nanpercentile(frame[column].to_numpy(np.float64), [25, 50, 75])
            stats.update({"q1": float(q1), "median": float(median), "q3": float(q3)})
        c, s = _center_and_spread(method, stats)
        if not s > 0:
            constant.append(column)
            s = 1.0  # a constant column is only centred: dividing by zero would give inf
        center[column], scale[column], statistics[column] = float(c), float(s), stats
    if constant:
        logger.warning(
            "Constant column(s) %s in the train split: centred but not scaled (spread is 0)",
            constant,
        )
    return {
        "method": method,
        "columns": list(columns),
        "center": center,
        "scale": scale,
        "statistics": statistics,
        "constant_columns": constant,
        "fitted_on": {
            "start": str(frame.index[0]),
            "end": str(frame.index[-1]),
            "rows": len(frame),
        },
        "pca": None,
    }


class Scaler:
    """Applies a fitted scaler dict (and its optional PCA) to frames or arrays."""

    def __init__(self, fitted: dict) -> None:
        self.fitted = fitted
        self.columns: list[str] = list(fitted["columns"])

    def parameters(self, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        unknown = [c for c in columns if c not in self.fitted["center"]]
        if unknown:
            raise KeyError(
                f"The scaler was not fitted on column(s) {unknown}; it knows {self.columns}"
            )
        center = np.array([self.fitted["center"][c] for c in columns], dtype=np.float64)
        scale = np.array([self.fitted["scale"][c] for c in columns], dtype=np.float64)
        return center, scale

    def scale(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Scale each fitted column; the result is float32."""
        center, scale = self.parameters(self.columns)
        values = (frame[self.columns].to_numpy(np.float64) - center) / scale
        return pd.DataFrame(values.astype(np.float32), index=frame.index, columns=self.columns)

    def transform(self, frame: pd.DataFrame, split: str = "") -> pd.DataFrame:
        """Scale, then replace the PCA columns by their components when PCA was fitted;
        categorical columns are encoded with the train split's categories (``split`` names
        the rows in an error about an unseen category); many series keep their code column
        (and the identity columns asked for), each scaled by its own scaler if fitted so."""
        parts = [self._scaled_numeric(frame)]
        if self.fitted.get("categorical"):
            parts.append(encode_categories(frame, self.fitted["categorical"], split))
        many = self.fitted.get("series")
        if many:
            parts.append(identity_columns(frame, many["names"], many["static_input"]))
        return pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]

    def _scaled_numeric(self, frame: pd.DataFrame) -> pd.DataFrame:
        per_series = self.fitted.get("per_series")
        if per_series:
            names = self.fitted["series"]["names"]
            blocks = [self.for_series(n)._scaled_numeric(b) for n, b in blocks_of(frame, names)]
            return pd.concat(blocks) if blocks else self.scale(frame)
        scaled = self.scale(frame)
        pca = self.fitted.get("pca")
        return apply_pca(scaled, pca) if pca else scaled

    def for_series(self, name: str) -> "Scaler":
        """The scaler of series ``name`` (itself when one scaler serves every series)."""
        per_series = self.fitted.get("per_series")
        return Scaler(per_series[name]) if per_series else self

    def inverse_transform(self, values: np.ndarray, columns: Sequence[str]) -> np.ndarray:
        """Back to original units, in float64 (float32 would round to 7 digits and turn values
        beyond 3.4e38 into inf); the last axis of ``values`` follows ``columns``.

        Raises:
            KeyError: a column the scaler was not fitted on.
        """
        center, scale = self.parameters(columns)
        return np.asarray(values, dtype=np.float64) * scale + center


def check_train_split(train: pd.DataFrame, pca_columns: Sequence[str] | None) -> None:
    """Refuse, before anything is fitted or written, a train split the scaler cannot use.

    Raises:
        ColumnNotFoundError: a PCA column the series does not have.
        MissingDataError: a column with no value at all in the train split.
    """
    absent = [c for c in pca_columns or [] if c not in train.columns]
    if absent:
        raise ColumnNotFoundError(
            f"'normalisation.pca.columns' names {absent}, which the series does not have; "
            f"it has {list(train.columns)}."
        )
    for column in train.columns:
        if not train[column].notna().any():
            raise MissingDataError(
                f"Column '{column}' has no value in the train split ({train.index[0]} to "
                f"{train.index[-1]}); it cannot be scaled. Move the split or drop the column "
                f"from 'ingestion.features'."
            )


def fit_with_pca(train: pd.DataFrame, method: str, pca, map_items: Mapper = serial_map) -> dict:
    """The scaler of ``method`` fitted on ``train`` (moments by ``map_items``), plus the PCA
    that ``pca`` (enabled, columns, n_components, variance) asks for, fitted on the scaled
    train rows."""
    fitted = fit_scaler(train, method, list(train.columns), map_items=map_items)
    if pca.enabled:
        scaled_train = Scaler(fitted).scale(train)
        fitted["pca"] = fit_pca(scaled_train, pca.columns, pca.n_components, pca.variance)
        logger.info(
            "PCA: %d columns -> %d components (%.1f%% of variance)",
            len(pca.columns),
            len(fitted["pca"]["output_columns"]),
            100 * sum(fitted["pca"]["explained_variance_ratio"]),
        )
    return fitted


def fit_pca(
    scaled_train: pd.DataFrame,
    columns: Sequence[str],
    n_components: int | None,
    variance: float | None,
    chunk_rows: int = 262_144,
) -> dict:
    """Principal components of ``columns`` from a streamed covariance (rows with NaN skipped)."""
    k = len(columns)
    total, outer, count = np.zeros(k), np.zeros((k, k)), 0
    data = scaled_train[list(columns)].to_numpy()
    for start in range(0, len(data), chunk_rows):
        block = data[start : start + chunk_rows].astype(np.float64)
        block = block[~np.isnan(block).any(axis=1)]
        total += block.sum(axis=0)
        outer += block.T @ block
        count += len(block)
    if count < 2:
        raise MissingDataError(f"PCA needs complete train rows of {list(columns)}; found {count}.")
    mean = total / count
    covariance = (outer - count * np.outer(mean, mean)) / (count - 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = np.clip(eigenvalues[order], 0, None), eigenvectors[:, order]
    ratio = eigenvalues / eigenvalues.sum() if eigenvalues.sum() > 0 else np.ones(k) / k
    if n_components is None:
        n_components = int(np.searchsorted(np.cumsum(ratio), variance - 1e-12) + 1)
    n_components = min(n_components, k)
    return {
        "input_columns": list(columns),
        "output_columns": [f"pc_{i + 1}" for i in range(n_components)],
        "mean": mean.tolist(),
        "components": eigenvectors[:, :n_components].T.tolist(),
        "explained_variance_ratio": ratio[:n_components].tolist(),
    }


def apply_pca(scaled: pd.DataFrame, pca: dict) -> pd.DataFrame:
    """Replace ``pca['input_columns']`` of ``scaled`` by the principal components."""
    inputs = pca["input_columns"]
    components = np.asarray(pca["components"])
    projected = (scaled[inputs].to_numpy(np.float64) - np.asarray(pca["mean"])) @ components.T
    kept = scaled.drop(columns=inputs)
    reduced = pd.DataFrame(
        projected.astype(np.float32), index=scaled.index, columns=pca["output_columns"]
    )
    return pd.concat([kept, reduced], axis=1)
