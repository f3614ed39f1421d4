"""Outputs that appear whole or not at all: written to a temporary file beside the target (same
folder, so the rename is atomic; same extension, so FFmpeg picks the container from it) and
renamed on success, removed on error or Ctrl-C."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class PendingFile:
    """A temporary file for `target`; `commit()` renames it into place, `discard()` removes it."""

    def __init__(self, target: Path):
        self.target = Path(target)
        fd, name = tempfile.mkstemp(prefix=f".{self.target.stem}.",
                                    suffix=f".part{self.target.suffix}", dir=self.target.parent)
        os.close(fd)
        os.chmod(name, 0o666 & ~_umask())   # mkstemp makes it private; outputs are not
        self.path = Path(name)

    def commit(self) -> None:
        os.replace(self.path, self.target)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


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
