"""Labelled cases as the normalisation stage stores them, for the study tests."""

import numpy as np
import pandas as pd


def labelled_frame(lengths, labels, features=("dim_0", "dim_1"), seed=0) -> pd.DataFrame:
    """A long table of labelled cases as the normalisation stage stores them."""
    rng = np.random.default_rng(seed)
    parts = []
    for case, (length, label) in enumerate(zip(lengths, labels, strict=True)):
        part = pd.DataFrame(rng.normal(size=(length, len(features))), columns=list(features))
        part.insert(0, "label", label)
        part.insert(0, "step", np.arange(length))
        part.insert(0, "case", case)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.astype({"case": "int64", "step": "int32", "label": "int32"})
    frame = frame.astype({f: "float32" for f in features})
    frame.attrs = {"task": "classification", "classes": ["a", "b"], "features": list(features)}
    return frame
