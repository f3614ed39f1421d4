"""Dense alignment of a reference frame to the target: OpenCV DIS optical flow on the small
grey images (half size by default: at 640x360 a full-size flow costs ~4x as much and gains
little, the low-pass agreement test catches where the coarser flow is off), a global motion
model fitted to that flow, a forward-backward consistency test and the frame-border
validity, all at flow size.

Why the global model: a blurred target and a sharp reference do not look alike, so DIS's
per-pixel flow between them is off by a fraction of a pixel to a few pixels here and there,
which is enough to smear the very detail the reference lends. Most of a hand-held frame moves
nearly as one plane (the camera turned; the scene is far): a homography fitted robustly to
the flow, plus the flow's smooth departures from it (parallax), averages those errors out.
Where the flow clearly disagrees with it (an object moving on its own) the flow itself is
kept, with its consistency test."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from engine.temporal.sharpness import lowpass

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
           "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}

GRID_STEP = 8            # flow-size pixels between the points the global model is fitted on
MIN_INLIERS = 0.15       # share of those points it must explain to be used at all (0.3
                         # left a flat scene, water, without a plane in half its pairs)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


@dataclass
class Alignment:
    """Where the target's pixels lie in the reference, at flow size: `map_x`, `map_y` (for
    cv2.remap of reference-sized images at flow size) and `confidence` in [0, 1] (forward-
    backward consistency times border validity). `global_share`: the share of pixels that
    follow the global motion model (0 when none was fitted)."""
    map_x: np.ndarray
    map_y: np.ndarray
    confidence: np.ndarray
    global_share: float = 0.0
    _full: dict = field(default_factory=dict, repr=False)   # full_maps by size

    def warp_small(self, image: np.ndarray) -> np.ndarray:
        return cv2.remap(image, self.map_x, self.map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def full_maps(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """The maps at full size: the flow upsampled and scaled by the size ratio (made once
        per size: the fusion and the refiner both warp with them)."""
        if (width, height) in self._full:
            return self._full[width, height]
        h, w = self.map_x.shape
        sx, sy = width / w, height / h
        mx = cv2.resize(self.map_x, (width, height), interpolation=cv2.INTER_LINEAR)
        my = cv2.resize(self.map_y, (width, height), interpolation=cv2.INTER_LINEAR)
        # map at flow size holds small-pixel coordinates of centres; full-size centres are
        # (x + 0.5) * s - 0.5
        mx = (mx + 0.5) * sx - 0.5
        my = (my + 0.5) * sy - 0.5
        self._full[width, height] = mx, my
        return mx, my


def fit_homography(map_x: np.ndarray, map_y: np.ndarray, weight: np.ndarray,
                   tolerance: float) -> np.ndarray | None:
    """A homography from target to reference pixels fitted (RANSAC) to the dense map on a
    coarse grid of its trustworthy points; None where it explains too few of them."""
    h, w = map_x.shape
    rows = slice(GRID_STEP // 2, h, GRID_STEP)
    cols = slice(GRID_STEP // 2, w, GRID_STEP)
    keep = weight[rows, cols] > 0.5
    if keep.sum() < 16:
        return None
    ys, xs = np.mgrid[rows, cols]
    src = np.stack([xs[keep], ys[keep]], axis=-1).astype(np.float32)
    dst = np.stack([map_x[rows, cols][keep], map_y[rows, cols][keep]], axis=-1)
    try:
        homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, tolerance)
    except cv2.error:        # degenerate points (e.g. a collapsed map): no model
        return None
    if homography is None or inliers.mean() * keep.mean() < MIN_INLIERS:
        return None
    return homography


def homography_maps(homography: np.ndarray, xs: np.ndarray, ys: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    m = homography.astype(np.float32)
    denominator = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
    return ((m[0, 0] * xs + m[0, 1] * ys + m[0, 2]) / denominator,
            (m[1, 0] * xs + m[1, 1] * ys + m[1, 2]) / denominator)


class Aligner:
    """One DIS instance per aligner (DIS keeps buffers between calls; not thread-safe).
    `global_tolerance` (flow-size px): how far the flow may stray from the global model and
    still be taken for it (twice as far: the flow alone); 0 disables the model.
    `residual_sigma` (flow-size px): the scale above which what the flow does beyond the
    model is kept (measured: 32 kept +0.36 dB of the bundled city clip's gain, a real scene's
    parallax, for 0.03 dB on the clips of flat photos)."""

    def __init__(self, preset: str = "fast", fb_tolerance: float = 0.5,
                 check_backward: bool = True, global_tolerance: float = 1.0,
                 residual_sigma: float = 32.0):
        self.dis = cv2.DISOpticalFlow_create(PRESETS[preset])
        self.fb_tolerance = fb_tolerance     # in flow-size pixels
        self.check_backward = check_backward
        self.global_tolerance = global_tolerance
        self.residual_sigma = residual_sigma
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
        consistent = np.ones((h, w), np.float32)
        if self.check_backward:
            bwd = self.dis.calc(reference, target, None)
            back = cv2.remap(bwd, map_x, map_y, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
            err2 = (fwd[..., 0] + back[..., 0]) ** 2 + (fwd[..., 1] + back[..., 1]) ** 2
            # a soft test: a fraction of a pixel off costs little, several pixels all
            tol2 = self.fb_tolerance ** 2
            consistent = tol2 / (tol2 + err2)
        confidence, share = consistent, 0.0
        homography = (fit_homography(map_x, map_y, consistent, self.global_tolerance)
                      if self.global_tolerance > 0 else None)
        if homography is not None:
            gx, gy = homography_maps(homography, xs, ys)
            deviation = np.hypot(map_x - gx, map_y - gy)
            # 1 within the tolerance, 0 beyond twice it: the model where the flow agrees
            # with it (and its consistency then comes from that agreement), the flow elsewhere
            follows = np.clip(2.0 - deviation / self.global_tolerance, 0.0, 1.0)
            if self.residual_sigma > 0:
                # what the plane leaves over, smoothed: slow parallax (a real scene is not
                # flat) stays, the flow's own pixel-to-pixel errors go
                sigma = self.residual_sigma
                norm = lowpass(follows, sigma) + 1e-6
                gx = gx + lowpass((map_x - gx) * follows, sigma) / norm
                gy = gy + lowpass((map_y - gy) * follows, sigma) / norm
            map_x = follows * gx + (1 - follows) * map_x
            map_y = follows * gy + (1 - follows) * map_y
            confidence = follows + (1 - follows) * consistent
            share = float(follows.mean())
        # inside the reference frame (a pixel off the border has nothing to lend)
        inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
        return Alignment(map_x, map_y, confidence * inside, share)
