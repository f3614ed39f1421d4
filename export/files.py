"""Where exported artefacts are cached, and reading back their JSON records (written whole or
not at all by common.atomic)."""
from __future__ import annotations

import json
import os
from pathlib import Path


def cache_root() -> Path:
    """$XDG_CACHE_HOME/deblur, else ~/.cache/deblur: per user, outside any checkout."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "deblur"


def read_json(path: Path) -> dict | None:
    """The JSON object in `path`, or None when it is missing or unreadable."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
