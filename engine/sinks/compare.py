"""Before/after pictures for comparison videos: side by side (twice as wide), or split (left
half before, right half after, at the input's size); uint8 or uint16."""
from __future__ import annotations

import numpy as np

MODES = ("side-by-side", "split")


def compose(mode: str, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    if mode == "side-by-side":
        return np.concatenate([before, after], axis=1)
    if mode == "split":
        middle = before.shape[1] // 2
        out = after.copy()
        out[:, :middle] = before[:, :middle]
        out[:, max(middle - 1, 0):middle + 1] = np.iinfo(out.dtype).max   # a white line
        return out
    raise ValueError(f"unknown comparison {mode!r}; one of {', '.join(MODES)}")
