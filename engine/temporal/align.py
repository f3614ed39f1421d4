"""Dense alignment of a reference frame to the target: OpenCV DIS optical flow on the small
grey images (half size by default: at 640x360 a full-size flow costs ~4x as much and gains
little, the low-pass agreement test catches where the coarser flow is off), a forward-
backward consistency test and the frame-border validity, all at flow size."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
           "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


@dataclass
class Alignment:
    """Where the target's pixels lie in the reference, at flow size: `map_x`, `map_y` (for
    cv2.remap of reference-sized images at flow size) and `confidence` in [0, 1] (forward-
    backward consistency times border validity)."""
    map_x: np.ndarray
    map_y: np.ndarray
    confidence: np.ndarray

    def warp_small(self, image: np.ndarray) -> np.ndarray:
        return cv2.remap(image, self.map_x, self.map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def full_maps(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """The maps at full size: the flow upsampled and scaled by the size ratio."""
        h, w = self.map_x.shape
        sx, sy = width / w, height / h
        mx = cv2.resize(self.map_x, (width, height), interpolation=cv2.INTER_LINEAR)
        my = cv2.resize(self.map_y, (width, height), interpolation=cv2.INTER_LINEAR)
        # map at flow size holds small-pixel coordinates of centres; full-size centres are
        # (x + 0.5) * s - 0.5
        mx = (mx + 0.5) * sx - 0.5
        my = (my + 0.5) * sy - 0.5
        return mx, my


class Aligner:
    """One DIS instance per aligner (DIS keeps buffers between calls; not thread-safe)."""

    def __init__(self, preset: str = "fast", fb_tolerance: float = 0.5,
                 check_backward: bool = True):
        self.dis = cv2.DISOpticalFlow_create(PRESETS[preset])
        self.fb_tolerance = fb_tolerance     # in flow-size pixels
        self.check_backward = check_backward
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    def grid(self, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        if self._grid is None or self._grid[0].shape != (h, w):
            self._grid = _grid(h, w)
        return self._grid

    def align(self, target: np.ndarray, reference: np.ndarray) -> Alignment:
        """Align `reference` (grey uint8, flow size) onto `target` (same size)."""
        h, w = target.shape
        xs, ys = self.grid(h, w)
        fwd = self.dis.calc(target, reference, None)
        map_x = xs + fwd[..., 0]
        map_y = ys + fwd[..., 1]
        # inside the reference frame (a pixel off the border has nothing to lend)
        inside = ((map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1))
        confidence = inside.astype(np.float32)
        if self.check_backward:
            bwd = self.dis.calc(reference, target, None)
            back = cv2.remap(bwd, map_x, map_y, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
            err2 = (fwd[..., 0] + back[..., 0]) ** 2 + (fwd[..., 1] + back[..., 1]) ** 2
            # a soft test: a fraction of a pixel off costs little, several pixels all
            tol2 = self.fb_tolerance ** 2
            confidence *= tol2 / (tol2 + err2)
        return Alignment(map_x, map_y, confidence)
