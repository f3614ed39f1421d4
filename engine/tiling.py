"""Overlapping tiles with blended seams, so a 4K frame fits a small GPU or little RAM.

Tiles start on multiples of the model's pad multiple, so every tile sees the same
down-sampling grid as the whole frame, and neighbours overlap by `overlap` pixels. Each tile's
output is weighted by a ramp that falls linearly to the seam across the overlap (flat towards
the frame's own border), and the weighted tiles are summed and normalised. The seam is then a
cross-fade between two predictions that both had context on either side of it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Infer = Callable[[np.ndarray], np.ndarray]   # uint8 N x H x W x 3 -> same


@dataclass(frozen=True)
class TileOptions:
    tile: int = 1024            # tile side (rounded down to the pad multiple)
    overlap: int = 256          # pixels shared by neighbouring tiles (fast: max 1/255 off)
    max_pixels: int = 1920 * 1088   # frames larger than this are tiled automatically

    def wanted(self, height: int, width: int) -> bool:
        return height * width > self.max_pixels


def tile_starts(length: int, tile: int, overlap: int, align: int) -> list[int]:
    """Start offsets along one axis: evenly spread, aligned to `align`, covering [0, length),
    neighbours sharing at least `overlap` pixels. The last tile may be up to `align` pixels
    shorter than `tile`; the model pads any size."""
    if length <= tile:
        return [0]
    span = length - tile
    max_step = max(1, tile - overlap - align)   # room for the rounding below
    count = -(-span // max_step) + 1
    starts = [k * span // (count - 1) // align * align for k in range(count - 1)]
    return starts + [-(-span // align) * align]   # the last one aligned up, to reach the end


def _ramp(size: int, fade_start: int, fade_end: int) -> np.ndarray:
    """Weights along one axis of a tile: rising over `fade_start` pixels at its start and
    falling over `fade_end` at its end (0 = a frame border, kept at full weight)."""
    weight = np.ones(size, np.float32)
    fade_start, fade_end = min(fade_start, size), min(fade_end, size)
    if fade_start:
        weight[:fade_start] = np.linspace(0, 1, fade_start + 2, dtype=np.float32)[1:-1]
    if fade_end:
        weight[size - fade_end:] = np.linspace(1, 0, fade_end + 2, dtype=np.float32)[1:-1]
    return weight


def restore_tiled(infer: Infer, frame: np.ndarray, options: TileOptions,
                  align: int) -> np.ndarray:
    """Restore one uint8 H x W x 3 frame tile by tile with `infer`."""
    height, width = frame.shape[:2]
    tile = max(align, options.tile // align * align)
    rows = tile_starts(height, tile, options.overlap, align)
    cols = tile_starts(width, tile, options.overlap, align)
    total = np.zeros((height, width, 3), np.float32)
    weights = np.zeros((height, width, 1), np.float32)
    for i, top in enumerate(rows):
        bottom = height if i == len(rows) - 1 else top + tile
        for j, left in enumerate(cols):
            right = width if j == len(cols) - 1 else left + tile
            restored = infer(frame[None, top:bottom, left:right])[0]
            # Fade only across the part shared with the previous / next tile.
            fade_top = rows[i - 1] + tile - top if i else 0
            fade_bottom = bottom - rows[i + 1] if i + 1 < len(rows) else 0
            fade_left = cols[j - 1] + tile - left if j else 0
            fade_right = right - cols[j + 1] if j + 1 < len(cols) else 0
            weight = np.outer(_ramp(bottom - top, fade_top, fade_bottom),
                              _ramp(right - left, fade_left, fade_right))[..., None]
            total[top:bottom, left:right] += restored * weight
            weights[top:bottom, left:right] += weight
    return np.clip(np.rint(total / weights), 0, 255).astype(np.uint8)
