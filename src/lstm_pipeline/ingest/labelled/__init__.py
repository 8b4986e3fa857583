"""Labelled sequences (classification inputs): ``.ts``, ``.tsv``/``.txt``, HDF5, long tables.

Every reader returns :class:`LabelledSequences` for one file.
"""

from lstm_pipeline.ingest.labelled.sequences import LabelledSequences
from lstm_pipeline.ingest.labelled.ts import read_ts

__all__ = ["LabelledSequences", "read_ts"]
