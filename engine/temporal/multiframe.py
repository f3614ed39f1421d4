"""The temporal window's multi-frame deconvolution (`--deconvolve`): the camera's steps
between consecutive frames as they are pushed, one exposure per scene, and a frame restored
from itself and its neighbours (deconvolve.py) when the window finishes it."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.temporal.align import Aligner
from engine.temporal.camera_path import (SPAN, CameraPath, best_exposure, exposure_mismatch,
                                         step_homography)
from engine.temporal.deconvolve import RADIUS, Prepared, Tiles, deconvolve
from engine.temporal.sharpness import FrameInfo

MAX_PAIRS = 12               # frame pairs an exposure estimate is made from, per scene
MIN_PAIRS = 4                # ... and the fewest it is trusted from
MIN_PAIR_MOTION = 6.0        # px the image moves over a whole frame interval, for a pair to count
MIN_RUN = 4                  # frames joined by steps a path is fitted through (a cubic)
MIN_BLUR = 2.0               # px end to end below which a frame is left to the fallback


class MultiFrameDeconvolver:
    """Works on the frames' own flow-size grey images (FrameInfo.flow_scale)."""

    def __init__(self):
        # its own DIS instance: the window's aligner keeps buffers between its calls
        self.aligner = Aligner("fast", global_tolerance=1.0)
        self._mismatches: dict[int, dict[tuple[int, int], np.ndarray]] = {}
        self._prepared: dict[int, Prepared] = {}   # by frame index, while in the window

    def observe(self, previous: FrameInfo | None, info: FrameInfo) -> None:
        """`info` was pushed after `previous` (None: it starts a scene or a new frame size)."""
        if previous is not None:
            info.step = step_homography(self.aligner, previous.grey, info.grey,
                                        info.flow_scale)

    def restore(self, frames: Sequence[FrameInfo], position: int
                ) -> tuple[np.ndarray, np.ndarray] | None:
        """Frame `frames[position]` restored (uint8 RGB) and where to use it (H x W in
        [0, 1]); None where the path is too short (fewer than MIN_RUN frames joined by steps,
        fewer than 2 neighbours), the scene's exposure not yet known, or the frame nearly
        sharp."""
        first, last = self._run(frames, position)
        others = [q for q in range(max(first, position - RADIUS), min(last, position + RADIUS) + 1)
                  if q != position]
        if last - first + 1 < MIN_RUN or len(others) < 2:
            return None          # too short a path to follow the hand
        target = frames[position]
        h, w = target.rgb.shape[:2]
        points = np.vstack([[[(w - 1) / 2, (h - 1) / 2]], Tiles(h, w).centres])
        # run-local numbering: steps[k] maps frame first + k to first + k + 1
        steps = [frames[q].step for q in range(first + 1, last + 1)]
        path = CameraPath(steps, position - first, 0, last - first, points)
        exposure = self._exposure(frames, position, path, first, others)
        if exposure is None:
            return None
        if path.blur_extent(position - first, exposure) < MIN_BLUR:
            return None          # nothing to undo: the prior would only soften it
        self._forget_before(frames[max(position - RADIUS, 0)].index)
        return deconvolve(self._prepare(target), [self._prepare(frames[q]) for q in others],
                          path, position - first, [q - first for q in others], exposure)

    def _prepare(self, info: FrameInfo) -> Prepared:
        if info.index not in self._prepared:
            self._prepared[info.index] = Prepared.of(info.rgb)
        return self._prepared[info.index]

    def _forget_before(self, index: int) -> None:
        """Frames are finished in order: one before the oldest neighbour is of no more use."""
        for old in [i for i in self._prepared if i < index]:
            del self._prepared[old]

    def _run(self, frames: Sequence[FrameInfo], position: int) -> tuple[int, int]:
        """The frames within SPAN of `position` joined to it by steps, first and last."""
        first = position
        while (first > position - SPAN and first > 0 and frames[first].step is not None
               and frames[first - 1].rgb is not None):
            first -= 1
        last = position
        while (last < position + SPAN and last + 1 < len(frames)
               and frames[last + 1].step is not None and frames[last + 1].rgb is not None):
            last += 1
        return first, last

    def _exposure(self, frames: Sequence[FrameInfo], position: int, path: CameraPath,
                  first: int, others: list[int]) -> float | None:
        """The scene's exposure estimate, with this frame's pairs added while it has fewer
        than MAX_PAIRS; None while it has fewer than MIN_PAIRS."""
        target = frames[position]
        seen = self._mismatches.setdefault(target.segment, {})
        for q in others:
            pair = tuple(sorted((target.index, frames[q].index)))
            if len(seen) >= MAX_PAIRS or pair in seen:
                continue
            if path.blur_extent(position - first, 1.0) < MIN_PAIR_MOTION:
                continue         # a calm frame: every exposure fits it about as well
            curve = exposure_mismatch(path, position - first, q - first,
                                      _grey(target), _grey(frames[q]), target.flow_scale)
            if curve is not None:
                seen[pair] = curve
        if len(seen) < MIN_PAIRS:
            return None
        return best_exposure(list(seen.values()))


def _grey(info: FrameInfo) -> np.ndarray:
    return info.grey.astype(np.float32) / 255


def blend(restored: np.ndarray, keep: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """`restored` where `keep` is 1, `fallback` where it is 0 (uint8 RGB)."""
    k = keep[..., None]
    out = k * restored.astype(np.float32) + (1 - k) * fallback.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)

