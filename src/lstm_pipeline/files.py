"""The one place where artifacts are replaced: atomic writes of files and folders, what a
killed write leaves behind, and exclusive locks on what a run writes.

Every write goes to a hidden temporary beside its target (same file system, so the rename is
atomic), named after the target and the writer's pid: ``.<name>.tmp-<pid>-<token><suffix>``
(the suffix stays last because writers such as Keras pick the format from it). A folder
cannot be replaced in one rename: the old one is first retired to ``.<name>.old-<pid>-
<token>``, the new one renamed in, then the retired one removed. A kill at any moment leaves
the old or the new artifact in place, plus leftovers that :func:`recover` clears: it puts back
a folder retired by a swap that was killed half-way and removes the temporaries of writers
that are no longer running.

    >>> write_atomically("data/08_reporting/metrics.json", lambda tmp: Path(tmp).write_text("{}"))
    >>> with exclusive_lock(Path("data/05_model_input/train_shards")), \\
    ...      atomic_target(Path("data/05_model_input/train_shards")) as folder:
    ...     write_shards_into(folder)
"""

import errno
import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lstm_pipeline.errors import LockHeldError

_LEFTOVER = re.compile(r"\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}")


def _suffix(path: Path) -> str:
    # all of it: Keras wants weights files to end in '.weights.h5'
    return "".join(path.suffixes)


def _sibling(path: Path, kind: str) -> Path:
    suffix = "" if kind == "old" else _suffix(path)
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}")


@contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for the new content of ``path`` (a file or a folder); when the
    block ends without error it replaces ``path``. On error, or if the block never creates
    it, ``path`` is left as it was and the temporary is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)
    temporary = _sibling(path, "tmp")
    try:
        yield temporary
        if temporary.is_dir():
            _swap_folder(temporary, path)
        elif temporary.exists():
            os.replace(temporary, path)
    finally:
        _remove(temporary)


def write_atomically(path: str | Path, write: Callable[[str], object]) -> None:
    """Call ``write(temporary_path)``, then rename the result over ``path``."""
    with atomic_target(path) as temporary:
        write(str(temporary))


def _swap_folder(new: Path, path: Path) -> None:
    retired = _sibling(path, "old") if path.exists() else None
    if retired is not None:
        os.rename(path, retired)
    try:
        os.rename(new, path)
    except OSError:
        if retired is not None:
            os.rename(retired, path)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def recover(path: str | Path) -> list[Path]:
    """Clear what killed writes of ``path`` left: a folder retired by an unfinished swap goes
    back in place when ``path`` is missing; other temporaries of writers that are no longer
    running are removed. Returns the leftovers handled."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    handled = []
    for leftover in leftovers(path):
        match = _leftover_match(path, leftover)
        if _running(int(match["pid"])):
            continue
        try:
            if match["kind"] == "old" and not path.exists():
                os.rename(leftover, path)
            else:
                _remove(leftover)
        except FileNotFoundError:  # another reader recovered it first
            continue
        handled.append(leftover)
    return handled


def sweep(folder: str | Path) -> list[Path]:
    """:func:`recover` every artifact in ``folder`` that a killed writer left something of
    (for folders whose file names change from run to run, such as checkpoints)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    targets = {found["target"] for p in folder.iterdir() if (found := _ANY_LEFTOVER.match(p.name))}
    return [leftover for target in sorted(targets) for leftover in recover(folder / target)]


_ANY_LEFTOVER = re.compile(r"^\.(?P<target>.+?)\.(tmp|old)-\d+-[0-9a-f]{8}")


def leftovers(path: str | Path) -> list[Path]:
    """Temporaries and retired copies of ``path`` that are still on disk."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    candidates = sorted(path.parent.glob(f".{_glob_escape(path.name)}.*"))
    return [p for p in candidates if _leftover_match(path, p)]


def _leftover_match(path: Path, candidate: Path) -> re.Match | None:
    rest = candidate.name[len(path.name) + 1 :]
    return _LEFTOVER.fullmatch(rest.removesuffix(_suffix(path)))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def lock_path(path: str | Path) -> Path:
    """The lock file of ``path``: beside it, because a folder itself is swapped."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@contextmanager
def exclusive_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on writing ``path`` for the block.

    Raises :class:`LockHeldError` at once, naming the holder's pid, when another process
    holds it. The lock is ``flock``-based: the operating system releases it when its holder
    dies, so a killed run (or a retried Airflow task) never meets a stale lock.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise LockHeldError(
                f"'{path}' is being written by another run (pid {holder}, lock file "
                f"'{lock_path(path)}'). Wait for it to finish or stop it; the lock is released "
                f"as soon as that process ends."
            ) from exc
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the flock
