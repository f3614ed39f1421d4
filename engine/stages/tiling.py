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


def _infer_tile(infer: Infer, tile_pixels: np.ndarray, tile: int, align: int) -> np.ndarray:
    """One tile through `infer`. A tile short of the full size by less than `align` (the last
    row or column) is padded to it here, replicating its border exactly as the graph itself
    would: the pixels are the same, and every call has one shape, which runtimes that plan
    memory per shape (ONNX Runtime) then plan once."""
    height, width = tile_pixels.shape[:2]
    pad_h = tile - height if 0 < tile - height < align else 0
    pad_w = tile - width if 0 < tile - width < align else 0
    if pad_h or pad_w:
        padded = np.pad(tile_pixels, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        return infer(padded[None])[0, :height, :width]
    return infer(tile_pixels[None])[0]


def restore_tiled(infer: Infer, frame: np.ndarray, options: TileOptions, align: int,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Restore one uint8 H x W x 3 frame tile by tile with `infer`, into `out` (default: a
    new array). The float sums cover one band of tile rows at a time, not the whole frame:
    rows above the next band's start are final, written out, and the band moves down."""
    height, width = frame.shape[:2]
    tile = max(align, options.tile // align * align)
    rows = tile_starts(height, tile, options.overlap, align)
    cols = tile_starts(width, tile, options.overlap, align)
    out = np.empty_like(frame) if out is None else out
    total = np.zeros((min(tile, height), width, 3), np.float32)
    weights = np.zeros((min(tile, height), width, 1), np.float32)
    for i, top in enumerate(rows):
        bottom = height if i == len(rows) - 1 else top + tile
        for j, left in enumerate(cols):
            right = width if j == len(cols) - 1 else left + tile
            restored = _infer_tile(infer, frame[top:bottom, left:right], tile, align)
            # Fade only across the part shared with the previous / next tile.
            fade_top = rows[i - 1] + tile - top if i else 0
            fade_bottom = bottom - rows[i + 1] if i + 1 < len(rows) else 0
            fade_left = cols[j - 1] + tile - left if j else 0
            fade_right = right - cols[j + 1] if j + 1 < len(cols) else 0
            weight = np.outer(_ramp(bottom - top, fade_top, fade_bottom),
                              _ramp(right - left, fade_left, fade_right))[..., None]
            total[:bottom - top, left:right] += restored * weight
            weights[:bottom - top, left:right] += weight
        done = rows[i + 1] if i + 1 < len(rows) else height
        final = total[:done - top]
        final /= weights[:done - top]
        np.clip(np.rint(final, out=final), 0, 255, out=final)
        out[top:done] = final
        shared = bottom - done   # rows the next band adds to: carried to its start
        total[:shared], weights[:shared] = total[done - top:bottom - top], \
            weights[done - top:bottom - top]
        total[shared:], weights[shared:] = 0, 0
    return out
