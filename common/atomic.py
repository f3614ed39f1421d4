"""The one way to write a file (or fill a folder) whole or not at all: into a temporary beside
the target (same folder, so the rename is atomic; same extension, so FFmpeg, torch or OpenCV
pick the format from it), renamed on success, removed on error, Ctrl-C or SIGTERM.

A SIGKILL cannot be caught: the temporary is then named for what it is
(`.out.mp4.deblur-PID-XXXX.part.mp4`) and the writer holds an flock on it, so the next run
removes it (sweep_stale) once no process holds the lock and its PID is gone."""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


STALE = re.compile(r"^\..+\.deblur-(\d+)-[^.]+\.part(\.[^.]*)?$")


class PendingFile:
    """A temporary file (or, with folder=True, a folder) for `target`, locked while this object
    lives; `commit()` renames it into place, `discard()` removes it."""

    def __init__(self, target: Path, folder: bool = False):
        self.target = Path(target)
        names = dict(prefix=f".{self.target.name}.deblur-{os.getpid()}-",
                     suffix=".part" if folder else f".part{self.target.suffix}",
                     dir=self.target.parent)
        if folder:
            name = tempfile.mkdtemp(**names)
            fd = os.open(name, os.O_RDONLY)
        else:
            fd, name = tempfile.mkstemp(**names)
        self._lock: int | None = fd
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # "a live writer": see sweep_stale
        # mkstemp and mkdtemp make it private; outputs are not
        os.chmod(name, (0o777 if folder else 0o666) & ~_umask())
        self.path = Path(name)

    def commit(self) -> None:
        os.replace(self.path, self.target)
        self._unlock()

    def discard(self) -> None:
        _remove(self.path)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # someone else's process
    return True


def sweep_stale(folder: Path) -> list[Path]:
    """Remove the temporaries of runs that were killed (SIGKILL, power loss) from `folder`:
    those of our naming that no process holds locked and whose writer's PID is gone. One
    another writer is still filling is locked and kept. Returns what was removed."""
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
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:   # locked by a live writer (another PID namespace), or not ours to remove
            pass
        finally:
            os.close(fd)
    return removed


@contextmanager
def atomic_output(target: Path, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write (with folder=True: an empty folder to fill); it becomes
    `target` when the block ends normally and is removed when it raises."""
    pending = PendingFile(target, folder)
    try:
        yield pending.path
    except BaseException:
        pending.discard()
        raise
    pending.commit()


@contextmanager
def atomic_outputs(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """atomic_output for several files written together: all of them or none."""
    with ExitStack() as stack:
        yield [stack.enter_context(atomic_output(target)) for target in targets]


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """`data` as the file `path`, whole or not at all; its folder is made if missing."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as temporary:
        temporary.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode())


def write_json_atomic(path: Path, record: object, indent: int = 2) -> None:
    """`record` as JSON with a final newline."""
    write_text_atomic(path, json.dumps(record, indent=indent) + "\n")
