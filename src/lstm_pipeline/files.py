"""Atomic file writes, shared by the catalog datasets and the training checkpoints."""

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | Path, write: Callable[[str], object]) -> None:
    """Call ``write(temporary_path)``, then rename the result over ``path``.

    The temporary file sits beside ``path`` (same file system, so the rename is atomic) and
    keeps its suffix, because writers such as Keras pick the format from it. A failed or
    killed write leaves ``path`` as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{uuid.uuid4().hex[:8]}.{path.name}")
    try:
        write(str(temporary))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
