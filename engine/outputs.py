"""Checks on an output path made before any work: it is none of the inputs (the same file by
any path, symlink or hard link)."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from engine.errors import InputError


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same inode where both exist (symlinks followed,
    hard links caught), else the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def refuse_inputs(target: Path, inputs: Iterable[Path | None]) -> None:
    """Raise InputError when `target` is one of `inputs` (None entries are skipped)."""
    for given in inputs:
        if given is not None and same_file(target, given):
            raise InputError(f"{target}: is also an input ({given}); write the output to a "
                             "new name")
