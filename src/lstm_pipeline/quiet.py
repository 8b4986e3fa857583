"""No CUDA noise on a machine without a GPU.

TensorFlow's C++ runtime probes for CUDA when it is first imported and when it first lists
devices, and writes what it finds to stderr before its logging is configured, so
``TF_CPP_MIN_LOG_LEVEL`` cannot hide it ("Could not find cuda drivers on your machine",
"failed call to cuInit"). On a machine with no NVIDIA driver those lines say nothing a user
can act on: while TensorFlow is imported there, stderr (file descriptor 2) goes to
/dev/null. Python exceptions still propagate; on a GPU machine nothing is hidden.
"""

import importlib.abc
import importlib.machinery
import os
import sys
from contextlib import contextmanager
from pathlib import Path

NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


@contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        with _stderr_silenced():
            self._loader.exec_module(module)
            module.config.list_physical_devices()  # the CUDA probe, while still silenced


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: later imports are plain
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Silence TensorFlow's import-time CUDA probing where there is no NVIDIA driver."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # INFO lines of the C++ runtime
    if NVIDIA_DRIVER.exists() or "tensorflow" in sys.modules:
        return
    if not any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
