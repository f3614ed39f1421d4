"""The camera's motion as the video shows it, and the motion-blur kernels it implies.

A hand-held frame is blurred by the path the image took while the shutter was open. That
path is between the frames the video already has: a homography from each frame to the next
(DIS flow + RANSAC, as align.py fits them) places a point of one frame in all the frames
around it, and a cubic spline through those positions follows the hand (its tremor, 1-10 Hz,
is below the 15 Hz a 30 fps clip can follow). A frame's kernel at a point is that spline
over the frame's exposure, about the exposure's mean position (the sharp frame). The one
unknown, the exposure (share of the frame interval the shutter is open), is the value for
which two neighbouring frames, each blurred by the other's kernel, look most alike: both are
then the scene blurred by both kernels."""
from __future__ import annotations

import cv2
import numpy as np
from scipy.interpolate import CubicSpline

from engine.temporal.align import fit_homography

SPAN = 5                        # frames each side of a target the path spline is fitted on
KERNEL = 65                     # kernel raster side, px (blur up to ~60 px end to end)
EXPOSURES = np.arange(0.15, 1.001, 0.05)
# The raw estimate (half-size greys) came out high on all 8 tuning clips (`deblur data clips
# --from train`; true / raw 0.59-0.96, median 0.86): the spline rounds off the fastest tremor,
# so a longer exposure matches it best. Scaled back by that median.
CALIBRATION = 0.86
PATH_SAMPLES = 24               # points along one exposure's path


def step_homography(aligner, previous_grey: np.ndarray, grey: np.ndarray,
                    scale: int) -> np.ndarray | None:
    """Homography from the previous frame's full-size pixels to this one's, fitted to the
    flow between their `scale`-times smaller grey images; None where no plane fits."""
    fit = aligner.align(previous_grey, grey)
    small = fit_homography(fit.map_x, fit.map_y, fit.confidence, 1.0)
    if small is None:
        return None
    offset = (1 - 1 / scale) / 2          # pixel centres: small = full / scale - offset
    to_small = np.array([[1 / scale, 0, -offset], [0, 1 / scale, -offset], [0, 0, 1]])
    return np.linalg.inv(to_small) @ small @ to_small


def transform(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.c_[points, np.ones(len(points))] @ homography.T
    return q[:, :2] / q[:, 2:]


def chain(steps: list[np.ndarray], target: int, other: int) -> np.ndarray:
    """Homography from frame `target`'s pixels to frame `other`'s, where steps[k] maps frame
    k to frame k + 1 (positions in one run of frames)."""
    m = np.eye(3)
    if other > target:
        for k in range(target, other):
            m = steps[k] @ m
    else:
        for k in range(other, target):
            m = np.linalg.inv(steps[k]) @ m
    return m / m[2, 2]


class CameraPath:
    """Where a set of points of frame `target` is seen over the frames `first..last` of a run
    (their positions in `steps`), as a function of the frame number."""

    def __init__(self, steps: list[np.ndarray], target: int, first: int, last: int,
                 points: np.ndarray):
        frames = np.arange(first, last + 1)
        self.homographies = {int(j): chain(steps, target, int(j)) for j in frames}
        self.points = points
        positions = np.stack([transform(self.homographies[int(j)], points) for j in frames])
        self._spline = CubicSpline(frames.astype(float), positions, axis=0)

    def _track(self, frame: int, exposure: float) -> np.ndarray:
        """PATH_SAMPLES x points x 2: where the points are seen over the frame's exposure."""
        return self._spline(frame + exposure * (np.linspace(0.0, 1.0, PATH_SAMPLES) - 0.5))

    def blur_extent(self, frame: int, exposure: float) -> float:
        """The longest blur over the points, px end to end along x or y."""
        return float(np.ptp(self._track(frame, exposure), axis=0).max())

    def kernels(self, frame: int, exposure: float, scale: float = 1.0,
                points: slice = slice(None)) -> list[np.ndarray]:
        """Frame `frame`'s blur kernel at each of `points` (convolution kernels, KERNEL^2,
        sum 1), for an exposure `exposure` of the frame interval; `scale` shrinks the motion
        (for kernels of smaller images)."""
        track = self._track(frame, exposure)[:, points]
        motion = (track - track.mean(axis=0)) * scale
        return [kernel_raster(motion[:, k]) for k in range(motion.shape[1])]


def kernel_raster(motion: np.ndarray) -> np.ndarray:
    """The convolution kernel of an image path (T x 2 px, about its mean), splatted
    bilinearly onto a KERNEL x KERNEL grid."""
    kernel = np.zeros((KERNEL, KERNEL))
    c = KERNEL // 2
    x, y = c + motion[:, 0], c + motion[:, 1]
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dy, dx, w in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                      (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        yy, xx = y0 + dy, x0 + dx
        ok = (yy >= 0) & (yy < KERNEL) & (xx >= 0) & (xx < KERNEL)
        np.add.at(kernel, (yy[ok], xx[ok]), w[ok])
    return kernel / max(kernel.sum(), 1e-12)


def exposure_mismatch(path: CameraPath, target: int, neighbour: int,
                      target_grey: np.ndarray, neighbour_grey: np.ndarray,
                      scale: int) -> np.ndarray | None:
    """For each of EXPOSURES, how unalike the pair is when each is blurred by the other's
    kernel (1 - normalised correlation of their detail above a Gaussian sigma 8 / scale),
    on grey images `scale` times smaller than the frames, away from the borders. `path`'s
    first point is the one whose kernels are used (the frame's centre). None: too little of
    the pair overlaps."""
    h, w = target_grey.shape
    m = path.homographies[neighbour].astype(np.float32)
    down = np.diag([1 / scale, 1 / scale, 1]).astype(np.float32)
    m = down @ m @ np.linalg.inv(down)
    warped = cv2.warpPerspective(neighbour_grey, m, (w, h),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(np.ones_like(neighbour_grey), m, (w, h),
                                 flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    margin = max(3, 40 // scale)
    inside = cv2.erode(inside, np.ones((margin, margin), np.uint8)) > 0
    if inside.mean() < 0.2:
        return None
    sigma = 8.0 / scale
    out = np.zeros(len(EXPOSURES))
    for col, exposure in enumerate(EXPOSURES):
        k_target, = path.kernels(target, exposure, 1 / scale, slice(0, 1))
        k_neighbour, = path.kernels(neighbour, exposure, 1 / scale, slice(0, 1))
        a = cv2.filter2D(warped, -1, k_target[::-1, ::-1].astype(np.float32))
        b = cv2.filter2D(target_grey, -1, k_neighbour[::-1, ::-1].astype(np.float32))
        a = (a - cv2.GaussianBlur(a, (0, 0), sigma))[inside]
        b = (b - cv2.GaussianBlur(b, (0, 0), sigma))[inside]
        out[col] = 1.0 - float(np.sum(a * b)) / max(float(np.sqrt(np.sum(a * a) * np.sum(b * b))),
                                                      1e-12)
    return out


def best_exposure(mismatches: list[np.ndarray]) -> float:
    """The exposure the pairs' median mismatch is least at, calibrated (CALIBRATION). The
    median: one pair the path fits badly (a fast pan joined by two frames only) pulled a sum
    to the longest exposure on a tuning clip, and its frames to -20 dB."""
    median = np.median(np.stack(mismatches), axis=0)
    return CALIBRATION * float(EXPOSURES[int(np.argmin(median))])
