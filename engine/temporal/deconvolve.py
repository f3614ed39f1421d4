"""Multi-frame deconvolution: a blurred frame restored from itself and the frames around it,
each with its own blur kernel (camera_path.py), where they agree.

Frames of a shaky stretch are all blurred, but each along another direction: what one kernel
wipes out another keeps. With the neighbours aligned onto the target (their homographies,
refined by ECC on the pair each blurred by the other's kernel, where the two then look
alike), the scene S is the least-squares solution of B_j = K_j S over all of them with a
Laplacian prior (a multi-frame Wiener filter, per tile of the frame, in linear light):

    S = sum_j conj(K_j) B_j / (sum_j |K_j|^2 + LAMBDA |Laplacian|^2)

What the model does not hold is kept out: where a neighbour breaks K_i B_j = K_j B_i (an
object moving on its own, a clipped highlight, off its frame) it is replaced by the target
seen through its kernel; the result's low band (Gaussian LOW_SIGMA) is the target's own (blur
keeps it); and a pixel is kept from the result only where the result blurs back to the
target, most neighbours agreed there and the frame has texture there (a flat spot only
gains amplified noise). Elsewhere `keep` is 0 and the caller's fallback
(the single-frame model, or the input) stays."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import fft

from engine.temporal.camera_path import CameraPath

RADIUS = 2                   # neighbours each side that take part
TILE = (120, 128)            # rows, columns of one kernel's tile (a 3 x 5 grid at 640x360)
MARGIN = 32                  # px around a tile's block, filtered and thrown away
LAMBDA = 0.03                # weight of the Laplacian prior
LOW_SIGMA = 16.0             # the target's own band below this Gaussian sigma (px)
MISMATCH = 0.02              # linear-light error (mean over RGB, smoothed) that marks a pixel
                             # inconsistent; half of it is still fully trusted
SUPPORT = 0.5                # share of neighbours that must agree at a pixel to keep it
TEXTURE = (2.0, 5.0)         # local gradient (grey levels a px, RMS over a Gaussian of
                             # TEXTURE_SIGMA): below the first a spot is flat and kept from
                             # the fallback, trusted fully from the second
TEXTURE_SIGMA = 6.0
ECC_MASK = 0.03              # grey error above which a pixel is left out of the ECC fit
# 20 iterations from the chained homography did as well as 50 on the test clip;
# at half size ECC cost a quarter but 0.3 dB there
ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 1e-5)


def _rfft2(image: np.ndarray) -> np.ndarray:
    """Over the last two axes, single precision, every core: the blocks' FFTs are most of
    the time spent."""
    return fft.rfft2(np.asarray(image, np.float32), workers=-1)


def _irfft2(spectrum: np.ndarray, s: tuple[int, int]) -> np.ndarray:
    return fft.irfft2(spectrum.astype(np.complex64, copy=False), s=s, workers=-1)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    x = rgb.astype(np.float32) / 255
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    x = np.clip(linear, 0, 1)
    s = np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return np.clip(s * 255 + 0.5, 0, 255).astype(np.uint8)


def otf(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The kernel's transfer function on a `shape` grid (rfft2), centred on pixel 0."""
    k = kernel.shape[0]
    if k > min(shape):            # a block smaller than the raster: crop to what fits
        c, half = k // 2, min(shape) // 2
        kernel = kernel[c - half:c + half + 1, c - half:c + half + 1]
        kernel = kernel / max(kernel.sum(), 1e-12)
        k = kernel.shape[0]
    padded = np.zeros(shape)
    padded[:k, :k] = kernel
    return _rfft2(np.roll(padded, (-(k // 2), -(k // 2)), axis=(0, 1)))


@functools.lru_cache(maxsize=16)
def laplacian_power(shape: tuple[int, int]) -> np.ndarray:
    d = np.zeros(shape)
    d[0, 0], d[0, 1], d[1, 0], d[0, -1], d[-1, 0] = 4, -1, -1, -1, -1
    return np.abs(_rfft2(d)) ** 2


def smooth_part(planes: np.ndarray) -> np.ndarray:
    """The smooth part of Moisan's periodic + smooth split (C x H x W): without it, filtering
    by FFT rings at the block's wrapped-around borders; it is added back afterwards."""
    h, w = planes.shape[-2:]
    v = np.zeros(planes.shape, np.float32)
    v[:, 0] += planes[:, -1] - planes[:, 0]
    v[:, -1] += planes[:, 0] - planes[:, -1]
    v[:, :, 0] += planes[:, :, -1] - planes[:, :, 0]
    v[:, :, -1] += planes[:, :, 0] - planes[:, :, -1]
    q, r = np.arange(h)[:, None], np.arange(w // 2 + 1)[None]
    den = 2 * np.cos(2 * np.pi * q / h) + 2 * np.cos(2 * np.pi * r / w) - 4
    den[0, 0] = 1
    spectrum = _rfft2(v) / den
    spectrum[:, 0, 0] = 0
    return _irfft2(spectrum, s=(h, w))


@dataclass
class Tiles:
    """A grid of tile centres over an H x W frame and the bilinear weights between them
    (summing to 1 everywhere)."""
    height: int
    width: int

    def __post_init__(self):
        self.rows = max(1, round(self.height / TILE[0]))
        self.cols = max(1, round(self.width / TILE[1]))
        self.step_y, self.step_x = self.height / self.rows, self.width / self.cols
        self.ys = (np.arange(self.rows) + 0.5) * self.step_y
        self.xs = (np.arange(self.cols) + 0.5) * self.step_x
        self.centres = np.array([[x, y] for y in self.ys for x in self.xs])

    def _tent(self, coords: np.ndarray, centres: np.ndarray, step: float, k: int) -> np.ndarray:
        w = np.clip(1 - np.abs(coords - centres[k]) / step, 0, 1)
        if k == 0:
            w[coords < centres[0]] = 1
        if k == len(centres) - 1:
            w[coords > centres[-1]] = 1
        return w

    def block(self, k: int) -> tuple[slice, slice]:
        """Rows and columns of the frame that tile k's weight covers, plus MARGIN."""
        r, c = divmod(k, self.cols)
        y0 = max(int(np.floor(self.ys[r] - self.step_y)) - MARGIN, 0) if r else 0
        y1 = min(int(np.ceil(self.ys[r] + self.step_y)) + MARGIN, self.height)
        if r == self.rows - 1:
            y1 = self.height
        x0 = max(int(np.floor(self.xs[c] - self.step_x)) - MARGIN, 0) if c else 0
        x1 = min(int(np.ceil(self.xs[c] + self.step_x)) + MARGIN, self.width)
        if c == self.cols - 1:
            x1 = self.width
        return slice(y0, y1), slice(x0, x1)

    def weight(self, k: int, rows: slice, cols: slice) -> np.ndarray:
        r, c = divmod(k, self.cols)
        wy = self._tent(np.arange(rows.start, rows.stop, dtype=np.float64), self.ys,
                        self.step_y, r)
        wx = self._tent(np.arange(cols.start, cols.stop, dtype=np.float64), self.xs,
                        self.step_x, c)
        return np.outer(wy, wx)


def refine(target_grey: np.ndarray, neighbour_grey: np.ndarray, homography: np.ndarray,
           target_kernel: np.ndarray, neighbour_kernel: np.ndarray) -> np.ndarray:
    """The homography (target -> neighbour pixels) refined by ECC on the pair blurred by each
    other's kernel (then alike), leaving out where they still differ (a moving object)."""
    a = cv2.filter2D(target_grey, -1, neighbour_kernel[::-1, ::-1].astype(np.float32))
    b = cv2.filter2D(neighbour_grey, -1, target_kernel[::-1, ::-1].astype(np.float32))
    h, w = a.shape
    m = homography.astype(np.float32)
    seen = cv2.warpPerspective(b, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(np.ones_like(b), m, (w, h),
                                 flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    ok = (cv2.GaussianBlur(np.abs(seen - a), (0, 0), 4) < ECC_MASK) & (inside > 0)
    mask = ok.astype(np.uint8) if ok.mean() > 0.2 else None
    try:
        return cv2.findTransformECC(a, b, m, cv2.MOTION_HOMOGRAPHY, ECC_CRITERIA, mask,
                                    5)[1].astype(np.float64)
    except cv2.error:            # did not converge: keep the chained homography
        return homography


def warp_to_target(image: np.ndarray, homography: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`image` (a neighbour) in the target's pixels, and where it was inside its frame."""
    h, w = image.shape[:2]
    m = homography.astype(np.float64)
    warped = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpPerspective(np.ones((h, w), np.float32), m, (w, h),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return warped, (inside > 0.999).astype(np.float32)


@dataclass
class Prepared:
    """What the deconvolution reads of a frame, made once however many targets it serves:
    linear light (H x W x 3 float32) and full-size grey in [0, 1] (for ECC)."""
    linear: np.ndarray
    grey: np.ndarray

    @classmethod
    def of(cls, rgb: np.ndarray) -> "Prepared":
        return cls(srgb_to_linear(rgb),
                   cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255)


def deconvolve(target_frame: Prepared, neighbours: list[Prepared], path: CameraPath,
               target: int, others: list[int], exposure: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Frame `target` restored with `neighbours` (frames `others`) along `path` (its points:
    the frame centre, then Tiles' centres). Returns the restored frame (uint8 RGB) and
    `keep` (H x W in [0, 1]): where it is to be used."""
    linear = target_frame.linear
    h, w = linear.shape[:2]
    tiles = Tiles(h, w)
    centre = 0
    kernels = {j: path.kernels(j, exposure) for j in [target, *others]}
    seen, inside = [], []
    for j, frame in zip(others, neighbours):
        m = refine(target_frame.grey, frame.grey, path.homographies[j], kernels[target][centre],
                   kernels[j][centre])
        warped, valid = warp_to_target(frame.linear, m)
        seen.append(warped)
        inside.append(valid)
    out = np.zeros((h, w, 3))
    keep = np.zeros((h, w))
    for k in range(len(tiles.centres)):
        rows, cols = tiles.block(k)
        shape = (rows.stop - rows.start, cols.stop - cols.start)
        weight = tiles.weight(k, rows, cols)
        x, kept = _restore_block(linear[rows, cols], [s[rows, cols] for s in seen],
                                 [v[rows, cols] for v in inside],
                                 otf(kernels[target][k + 1], shape),
                                 [otf(kernels[j][k + 1], shape) for j in others])
        out[rows, cols] += weight[..., None] * x
        keep[rows, cols] += weight * kept
    out = out - _gaussian(out, LOW_SIGMA) + _gaussian(linear, LOW_SIGMA)
    return linear_to_srgb(out), (keep * textured(target_frame.grey)).astype(np.float32)


def textured(grey: np.ndarray) -> np.ndarray:
    """0 where the frame (grey in [0, 1]) is flat, 1 where it has texture (TEXTURE). A flat
    spot has nothing for the filter to restore, only noise to amplify: streaks along the
    blur, 1 dB or more worse than the input in 2.7 % of the tuning clips' 32 px blocks."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    # a 3x3 Sobel is 8 times the slope; grey levels from [0, 1]
    rms = np.sqrt(cv2.GaussianBlur(gx * gx + gy * gy, (0, 0), TEXTURE_SIGMA)) * (255 / 8)
    lo, hi = TEXTURE
    return np.clip((rms - lo) / (hi - lo), 0, 1)


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    # exact, at full size: sharpness.lowpass's quarter-size shortcut is for the fusion's masks
    return cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigma,
                            borderType=cv2.BORDER_REFLECT)


def _restore_block(target: np.ndarray, seen: list[np.ndarray], inside: list[np.ndarray],
                   target_otf: np.ndarray, otfs: list[np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One block (H x W x 3 linear light in, the same out, and its keep map)."""
    shape = target.shape[:2]
    planes = _planes(target)                      # 3 x H x W: the FFTs run over the last axes
    target_spectrum = _rfft2(planes)
    observed, agreement = [planes], []
    for image, valid, transfer in zip(seen, inside, otfs):
        image = _planes(image)
        # K_i B_j = K_j B_i where the pair is consistent: both are S blurred by both kernels
        through_neighbour = _irfft2(target_spectrum * transfer, s=shape)
        mine = _irfft2(_rfft2(image) * target_otf, s=shape)
        error = cv2.GaussianBlur(np.abs(mine - through_neighbour).mean(0), (0, 0), 4)
        agrees = cv2.erode(valid * np.clip(2 - error / MISMATCH, 0, 1), np.ones((9, 9), np.uint8))
        agrees = cv2.GaussianBlur(agrees, (0, 0), 3)
        agreement.append(agrees)
        # where it is not consistent, the target seen through its kernel stands in for it
        observed.append(agrees * image + (1 - agrees) * through_neighbour)
    own_smooth = smooth_part(planes)
    numerator, denominator = 0, LAMBDA * laplacian_power(shape)
    for image, transfer in zip(observed, [target_otf, *otfs]):
        periodic = image - (own_smooth if image is planes else smooth_part(image))
        numerator = numerator + np.conj(transfer) * _rfft2(periodic)
        denominator = denominator + np.abs(transfer) ** 2
    restored = _irfft2(numerator / denominator, s=shape) + own_smooth
    reblurred = _irfft2(_rfft2(restored) * target_otf, s=shape)
    residual = cv2.GaussianBlur(np.abs(reblurred - planes).mean(0), (0, 0), 4)
    kept = np.clip(2 - residual / MISMATCH, 0, 1)
    if agreement:
        kept *= np.clip(np.mean(agreement, axis=0) / SUPPORT, 0, 1)
    return restored.transpose(1, 2, 0), kept


def _planes(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32)
