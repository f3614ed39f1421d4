"""Where exported artefacts are cached, and writing them whole or not at all."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


def cache_root() -> Path:
    """$XDG_CACHE_HOME/deblur, else ~/.cache/deblur: per user, outside any checkout."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "deblur"


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder renamed into place, so a reader (or an
    interrupted run) never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name per writer (processes and threads may race on a cache entry); open() with
    # 'x' keeps the user's umask, unlike mkstemp's private mode.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, record: dict) -> None:
    write_atomic(path, (json.dumps(record, indent=2) + "\n").encode())


def read_json(path: Path) -> dict | None:
    """The JSON object in `path`, or None when it is missing or unreadable."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
