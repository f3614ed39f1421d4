"""High bit depth around a model that sees 8-bit RGB: the 8-bit version of a 16-bit picture is
restored, and what the model changed is added to the 16-bit picture, so that the input's
extra bits (smooth 10-bit gradients, a 16-bit PNG's shades) survive in the output."""
from __future__ import annotations

import cv2
import numpy as np

STRIP_ROWS = 256   # rows per step: the int32 working copy stays small on a huge image


def to_uint8(deep: np.ndarray) -> np.ndarray:
    """uint16 (full 16-bit range) -> uint8, rounded: 65535 -> 255."""
    return cv2.convertScaleAbs(deep, alpha=1 / 257)


def add_restoration(deep: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """deep += (after - before) * 257, clipped, in place and strip by strip; `before` is the
    8-bit picture the model was given, `after` what it returned. Returns `deep`."""
    for top in range(0, deep.shape[0], STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        change = after[rows].astype(np.int32)
        change -= before[rows]
        change *= 257
        change += deep[rows]
        np.clip(change, 0, 65535, out=change)
        deep[rows] = change
    return deep
