"""Checks on an output path made before any work: it is none of the inputs (the same file by
any path, symlink or hard link)."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from engine.errors import InputError


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
