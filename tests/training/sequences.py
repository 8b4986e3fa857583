"""Labelled sequences for the classification training tests: a toy problem (slow vs fast
sines of different lengths), a tiny masked classifier, and a stand-in for a shard folder of
layout ``sequences`` with a ``make_dataset`` that keeps the contract of CONTRACTS.md
(``({"values": (B, T_b, F), "mask": (B, T_b)}, labels int32 (B,))``, a seeded order per
epoch, ``drop_remainder``). The trainer reads it exactly as it reads real shards."""

import hashlib
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from lstm_pipeline.models.precision import dtype_policy
from lstm_pipeline.windows.batching import ReadOrder, epochs_in_order

CLASSES = ["fast", "slow"]


def toy_cases(n: int, seed: int, lengths=(8, 20), imbalance: float = 0.5):
    """``n`` cases of 1 feature: class 1 ("slow") a slow sine, class 0 ("fast") a fast one,
    random phase, noise and length; about ``imbalance`` of them slow."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < imbalance).astype(np.int32)
    values = []
    for label in labels:
        t = np.arange(rng.integers(lengths[0], lengths[1] + 1))
        speed = 0.3 if label else 1.3
        wave = np.sin(speed * t + rng.uniform(0, 2 * np.pi)) + 0.1 * rng.normal(size=len(t))
        values.append(wave[:, None].astype(np.float32))
    return values, labels


class FakeCaseShards:
    """A stand-in for :class:`~lstm_pipeline.windows.reader.ShardSet` of layout
    ``sequences``: manifest, ``case_table`` and ``iter_items``. ``labels``: class codes,
    or one-hot rows (``make_dataset`` then yields them as they are)."""

    def __init__(self, folder, values, labels, classes=CLASSES) -> None:
        self.folder = Path(folder)
        self.values = [np.asarray(v, np.float32) for v in values]
        self.labels = np.asarray(labels)
        self.codes = self.labels.argmax(-1) if self.labels.ndim == 2 else self.labels
        lengths = [len(v) for v in self.values]
        digest = hashlib.sha256(b"".join(v.tobytes() for v in self.values)).hexdigest()
        self.manifest = SimpleNamespace(
            layout="sequences",
            cases_total=len(self.values),
            classes=list(classes),
            feature_columns=["a"],
            min_length=min(lengths, default=None),
            max_length=max(lengths, default=None),
            shards=[SimpleNamespace(sha256=digest + str(self.labels.tolist()))],
        )

    def case_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "case": np.arange(len(self.values), dtype=np.int64),
                "label": self.codes.astype(np.int32),
                "length": [len(v) for v in self.values],
            }
        )

    def iter_items(self, shard_order, cycle_length):
        for case, (values, label) in enumerate(zip(self.values, self.codes, strict=True)):
            yield values, np.int32(label), np.int64(case)


def fake_make_dataset(shard_set: FakeCaseShards, batch_size: int, **options):
    """The contract's ``make_dataset`` for a :class:`FakeCaseShards` (no bucketing)."""
    n, shuffle = len(shard_set.values), options.get("shuffle", True)
    one_hot = shard_set.labels.ndim == 2

    def one_epoch(epoch):
        rng = np.random.default_rng([options.get("seed", 0), epoch])
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            if len(rows) < batch_size and options.get("drop_remainder", False):
                return
            lengths = np.array([len(shard_set.values[i]) for i in rows])
            values = np.zeros((len(rows), lengths.max(), 1), np.float32)
            for j, i in enumerate(rows):
                values[j, : lengths[j]] = shard_set.values[i]
            mask = np.arange(lengths.max()) < lengths[:, None]
            yield {"values": values, "mask": mask}, shard_set.labels[rows]

    read_order = ReadOrder(
        repeat=options.get("repeat", False),
        epoch=options.get("epoch", 0),
        epoch_steps=options.get("epoch_steps"),
        epochs=options.get("epochs"),
    )

    def generate():
        return epochs_in_order(one_epoch, read_order)

    labels = tf.TensorSpec((None, 2), tf.float32) if one_hot else tf.TensorSpec((None,), tf.int32)
    signature = (
        {
            "values": tf.TensorSpec((None, None, 1), tf.float32),
            "mask": tf.TensorSpec((None, None), tf.bool),
        },
        labels,
    )
    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def case_sets(tmp_path, n_train=48, n_val=16, one_hot=False, imbalance=0.5):
    train_values, train_labels = toy_cases(n_train, seed=0, imbalance=imbalance)
    val_values, val_labels = toy_cases(n_val, seed=1)
    if one_hot:
        train_labels = np.eye(2, dtype=np.float32)[train_labels]
    return (
        FakeCaseShards(tmp_path / "train", train_values, train_labels),
        FakeCaseShards(tmp_path / "val", val_values, val_labels),
    )


def tiny_classifier(precision="float32", dropout=0.0, seed=1, n_classes=2):
    """A masked LSTM over ``{"values", "mask"}`` with a float32 softmax head."""
    keras.utils.set_random_seed(seed)
    with dtype_policy(precision):
        values = keras.Input((None, 1), name="values")
        mask = keras.Input((None,), dtype="bool", name="mask")
        x = keras.layers.LSTM(8, dropout=dropout, name="lstm")(values, mask=mask)
        probabilities = keras.layers.Dense(
            n_classes, activation="softmax", dtype="float32", name="class_probabilities"
        )(x)
        return keras.Model({"values": values, "mask": mask}, probabilities)


def padded(values: list[np.ndarray]) -> dict:
    """All cases as one zero-padded batch with its mask."""
    lengths = np.array([len(v) for v in values])
    batch = np.zeros((len(values), lengths.max(), 1), np.float32)
    for i, v in enumerate(values):
        batch[i, : len(v)] = v
    return {"values": batch, "mask": np.arange(lengths.max()) < lengths[:, None]}


def write_case_shards(values, labels, folder: Path, fmt: str = "hdf5") -> Path:
    """Real shards of layout ``sequences`` (the windowing stage's writer) of these cases,
    feature ``a``, classes :data:`CLASSES`; ``folder`` is returned."""
    from lstm_pipeline.windows.case_writing import SequenceJob
    from lstm_pipeline.windows.sequences import ParquetSequences

    parts = [
        pd.DataFrame(
            {
                "case": np.full(len(v), case, np.int64),
                "step": np.arange(len(v), dtype=np.int32),
                "label": np.full(len(v), label, np.int32),
                "a": v[:, 0].astype(np.float32),
            }
        )
        for case, (v, label) in enumerate(zip(values, labels, strict=True))
    ]
    columns = {"case": "int64", "step": "int32", "label": "int32", "a": "float32"}
    empty = pd.DataFrame({k: pd.Series(dtype=t) for k, t in columns.items()})
    frame = pd.concat(parts, ignore_index=True) if parts else empty
    frame.attrs = {"task": "classification", "classes": CLASSES, "features": ["a"]}
    path = folder.with_suffix(".parquet")
    frame.to_parquet(path, row_group_size=100)
    SequenceJob(source=ParquetSequences(path), features=["a"], fmt=fmt, shard_mb=0.001).write(
        folder
    )
    return folder
