"""Build data/01_raw/hdf5_example/basic_motions.h5 from the bundled BasicMotions .ts files.

The file has the layout users bring ("my HDF5 file has `data` and one-hot `labels`"):
``data`` (80, 100, 6) float32 sequences and ``labels`` (80, 4) one-hot rows, TRAIN and
TEST cases together (the pipeline draws a stratified test split from one file). Class
names are kept as the ``classes`` attribute of ``labels``.

Run from the project root: ``.venv/bin/python scripts/make_hdf5_example.py``.
"""

from pathlib import Path

import h5py
import numpy as np

from lstm_pipeline.ingest.labelled import read_ts

SOURCE = Path("data/01_raw/ucr/BasicMotions")
TARGET = Path("data/01_raw/hdf5_example/basic_motions.h5")


def main() -> None:
    parts = [read_ts(SOURCE / f"BasicMotions_{split}.ts") for split in ("TRAIN", "TEST")]
    values = np.stack([case for part in parts for case in part.values]).astype(np.float32)
    labels = np.concatenate([part.labels for part in parts])
    classes = sorted(set(labels))
    one_hot = np.eye(len(classes), dtype=np.int8)[[classes.index(label) for label in labels]]
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(TARGET, "w") as f:
        f.create_dataset("data", data=values, compression="gzip")
        f.create_dataset("labels", data=one_hot)
        f["labels"].attrs["classes"] = classes
        f.attrs["source"] = "UEA archive BasicMotions (TRAIN then TEST), via sktime 1.2.0"
    print(f"{TARGET}: data {values.shape}, labels {one_hot.shape}, classes {classes}")


if __name__ == "__main__":
    main()
