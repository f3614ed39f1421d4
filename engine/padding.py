"""Reflection padding of frames to the model's size multiple, and cropping back, so any frame
size works (33 x 17, 719 x 1279, ...)."""
from __future__ import annotations

import numpy as np


def pad_to_multiple(frames: np.ndarray, multiple: int) -> np.ndarray:
    """Pad N x H x W x C frames at the bottom and right by reflection up to multiples of
    `multiple`. Returns the input itself when nothing is needed (no copy)."""
    height, width = frames.shape[1:3]
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h == 0 and pad_w == 0:
        return frames
    # numpy reflects repeatedly when the pad is larger than the frame; a 1-pixel side has
    # nothing to reflect, so it is repeated instead.
    mode = "reflect" if min(height, width) > 1 else "edge"
    return np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode=mode)
