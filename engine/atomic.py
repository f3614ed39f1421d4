"""Outputs that appear whole or not at all: written to a temporary file beside the target (same
folder, so the rename is atomic; same extension, so FFmpeg picks the container from it) and
renamed on success, removed on error, Ctrl-C or SIGTERM.

A SIGKILL cannot be caught: the temporary file is then named for what it is
(`.out.mp4.deblur-PID-XXXX.part.mp4`) and the writer holds an flock on it, so the next run
removes it (sweep_stale) once no process holds the lock and its PID is gone."""
from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


STALE = re.compile(r"^\..+\.deblur-(\d+)-[^.]+\.part(\.[^.]*)?$")


class PendingFile:
    """A temporary file for `target`, locked while this object lives; `commit()` renames it
    into place, `discard()` removes it."""

    def __init__(self, target: Path):
        self.target = Path(target)
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.deblur-{os.getpid()}-",
                                    suffix=f".part{self.target.suffix}", dir=self.target.parent)
        self._lock: int | None = fd
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # "a live writer": see sweep_stale
        os.chmod(name, 0o666 & ~_umask())   # mkstemp makes it private; outputs are not
        self.path = Path(name)

    def commit(self) -> None:
        os.replace(self.path, self.target)
        self._unlock()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # someone else's process
    return True


def sweep_stale(folder: Path) -> list[Path]:
    """Remove the temporary files of runs that were killed (SIGKILL, power loss) from `folder`:
    those of our naming that no process holds locked and whose writer's PID is gone. A file
    another export is still writing is locked and kept. Returns what was removed."""
    removed = []
    try:
        names = [entry.name for entry in os.scandir(folder) if STALE.match(entry.name)]
    except OSError:
        return removed
    for name in names:
        path = Path(folder) / name
        if _alive(int(STALE.match(name).group(1))):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
            removed.append(path)
        except OSError:   # locked by a live writer (another PID namespace), or not ours to remove
            pass
        finally:
            os.close(fd)
    return removed


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; it becomes `target` when the block ends normally."""
    pending = PendingFile(target)
    try:
        yield pending.path
    except BaseException:
        pending.discard()
        raise
    pending.commit()
