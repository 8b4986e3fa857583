"""Decompressing raw CSV files so that a file cut short is an error, never a shorter table.

gzip, xz and bz2 readers raise on a truncated stream; zstandard's reader silently stops, so
.zst files go through :class:`CompleteZstdReader`, which raises like the others.
"""

import bz2
import contextlib
import gzip
import io
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO

import zstandard

# what decompressing a cut-short or corrupt stream raises (bz2: OSError "Invalid data stream")
DECOMPRESSION_ERRORS = (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, OSError)
_READ_BYTES = 1 << 16  # compressed bytes decompressed at a time: bounds the memory it takes


class CompleteZstdReader(io.RawIOBase):
    """Decompresses a .zst stream frame after frame; raises :class:`EOFError` when the
    stream ends inside a frame."""

    def __init__(self, compressed: BinaryIO) -> None:
        self._compressed = compressed
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            data = self._compressed.read(_READ_BYTES)
            if not data:
                if not self._frame.eof:
                    raise EOFError("Compressed file ended inside a zstd frame")
                return 0
            self._pending = memoryview(self._decompress(data))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decompress(self, data: bytes) -> bytes:
        output = []
        while data:
            if self._frame.eof:  # the next frame of a multi-frame file
                self._frame = zstandard.ZstdDecompressor().decompressobj()
            output.append(self._frame.decompress(data))
            data = self._frame.unused_data if self._frame.eof else b""
        return b"".join(output)


def decompressed(raw: BinaryIO, compression: str | None):
    """A context manager giving the decompressed bytes of ``raw`` ('gzip', 'xz', 'bz2',
    'zstd' or None); closing it leaves ``raw`` open."""
    if compression is None:
        return contextlib.nullcontext(raw)
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw)
    if compression == "xz":
        return lzma.LZMAFile(raw)
    if compression == "bz2":
        return bz2.BZ2File(raw)
    if compression == "zstd":
        return io.BufferedReader(CompleteZstdReader(raw))
    raise ValueError(f"unknown compression {compression!r}")


def first_undecodable_line(
    path: Path, compression: str | None, encoding: str
) -> tuple[int, int] | None:
    """The first line of ``path`` (decompressed) that is not ``encoding`` text, as (line
    number, first bad byte); None when every line decodes or the file cannot be read.

    A NUL byte counts as bad where the encoding writes no text with it (UTF-8, Latin-1):
    text files do not hold one, binary files do.
    """
    nul_is_binary = "\x00".encode(encoding) == b"\x00" and "a".encode(encoding) == b"a"
    try:
        with open(path, "rb") as raw, decompressed(raw, compression) as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as exc:
                    return number, line[exc.start]
                if nul_is_binary and b"\x00" in line:
                    return number, 0
    except DECOMPRESSION_ERRORS:
        return None
    return None
