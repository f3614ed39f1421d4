"""Checks on an output path made before any work: it is none of the inputs (the same file by
any path, symlink or hard link), its folder takes a new file, and its disk has room for about
what it will hold. OS errors are worded as one line naming the path and what to do."""
from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from common.atomic import PendingFile, sweep_stale
from engine.errors import InputError

ADVICE = {errno.ENOSPC: "free some space or choose another folder",
          errno.EDQUOT: "free some space or choose another folder",
          errno.EACCES: "choose another folder or change its permissions",
          errno.EPERM: "choose another folder or change its permissions"}


class InputSet:
    """The files a run reads, by inode and by resolved path, so that many targets can be
    checked against many inputs without comparing every pair."""

    def __init__(self, inputs: Iterable[Path | None]):
        self.by_id: dict[tuple[int, int], Path] = {}
        self.by_path: dict[Path, Path] = {}
        for given in inputs:
            if given is None:
                continue
            self.by_path[Path(given).resolve()] = Path(given)
            try:
                stat = os.stat(given)
                self.by_id[stat.st_dev, stat.st_ino] = Path(given)
            except OSError:
                pass

    def find(self, target: Path) -> Path | None:
        """The input that `target` would overwrite, if any."""
        try:
            stat = os.stat(target)
            if (stat.st_dev, stat.st_ino) in self.by_id:
                return self.by_id[stat.st_dev, stat.st_ino]
        except OSError:
            pass
        return self.by_path.get(Path(target).resolve())


def refuse_inputs(target: Path, inputs: Iterable[Path | None], advice: str = "write the "
                  "output to a new name") -> None:
    """Raise InputError when `target` is one of `inputs` (None entries are skipped)."""
    given = inputs.find(target) if isinstance(inputs, InputSet) else InputSet(inputs).find(target)
    if given is not None:
        raise InputError(f"{target}: is also an input ({given}); {advice}")


def os_error_line(path: Path, exc: OSError, when: str = "") -> str:
    """'PATH: cannot write (REASON)[ WHEN]; WHAT TO DO' for an OSError met writing `path`."""
    reason = exc.strerror or str(exc)
    advice = ADVICE.get(exc.errno, "choose another folder")
    return f"{path}: cannot write ({reason}){when}; {advice}"


def existing_folder(path: Path) -> Path:
    """`path` if it exists, else the nearest parent that does (where mkdir would start)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_folder(folder: Path) -> None:
    """The folder (or, if missing, the nearest existing one above it) takes a new file: a
    temporary file is created there and removed. Raises InputError in one line."""
    probe = existing_folder(folder)
    if not probe.is_dir():
        raise InputError(f"{probe}: is not a folder; choose another output")
    try:
        PendingFile(probe / "probe").discard()
    except OSError as exc:
        raise InputError(os_error_line(probe, exc)) from None


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 1e9 else f"{size / 1e9:.1f} GB"


def check_space(folder: Path, needed: int) -> None:
    """Refuse (InputError) when the disk holding `folder` has less than `needed` bytes free:
    a lower estimate of the output, so that only a run sure to fail is stopped."""
    free = shutil.disk_usage(existing_folder(folder)).free
    if free < needed:
        raise InputError(f"{folder}: {megabytes(free)} free on its disk, the output needs "
                         f"about {megabytes(needed)}; free some space or choose another "
                         "folder")


def sweep_note(folder: Path) -> str | None:
    """Remove what killed runs left in `folder` (see common.atomic); a line saying so."""
    removed = sweep_stale(folder)
    if not removed:
        return None
    names = ", ".join(path.name for path in removed[:3]) + (" ..." if len(removed) > 3 else "")
    return (f"removed {len(removed)} temporary file(s) that a killed run left in {folder}: "
            f"{names}")
