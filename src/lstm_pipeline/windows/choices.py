"""The allowed values of the windowing settings, defined once.

The parameter model, the manifest model, the catalog dataset and the readers all take their
allowed values from here, so a new format or compression is added in one place.
"""

from typing import Literal, get_args

Format = Literal["hdf5", "tfrecord"]
WindowLayout = Literal["segments", "windows"]  # forecasting: windows cut from series
SequenceLayout = Literal["sequences"]  # classification: one labelled case per record
Layout = Literal["segments", "windows", "sequences"]
LayoutSetting = Literal["auto", "segments", "windows"]  # auto: segments while windows overlap
Compression = Literal["gzip", "lzf", "none"]
TfrecordCompression = Literal["gzip", "none"]  # TFRecord has no LZF
Verify = Literal["sha256", "size", "none"]

FORMATS: tuple[str, ...] = get_args(Format)
LAYOUTS: tuple[str, ...] = get_args(Layout)
HDF5_COMPRESSION: tuple[str, ...] = get_args(Compression)
TFRECORD_COMPRESSION: tuple[str, ...] = get_args(TfrecordCompression)
VERIFY: tuple[str, ...] = get_args(Verify)
