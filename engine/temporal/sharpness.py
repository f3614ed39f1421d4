"""Per-frame analysis for the temporal reference stage: a sharpness estimate, the small grey
images alignment works on, a thumbnail for scene cuts, and (lazily) the split of the frame
into low frequencies and detail. Each frame is analysed once and the result is cached."""
from __future__ import annotations

import cv2
import numpy as np

THUMB = (32, 18)          # thumbnail for scene-cut checks (w, h): cheap and noise-free


def lowpass(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian low-pass of a float32 image, computed at a quarter of the size and upsampled:
    a σ=6 blur at full size costs ~30 ms on two cores, this ~1 ms for the same picture (the
    low band has nothing above a quarter of the Nyquist rate that the shrink could alias)."""
    h, w = image.shape[:2]
    f = 4 if sigma >= 4 else 2 if sigma >= 2 else 1
    if f == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    small = cv2.resize(image, (w // f, h // f), interpolation=cv2.INTER_AREA)
    # the shrink already averaged over f pixels (σ² of a box of f is (f² - 1) / 12)
    rest = max(sigma ** 2 - (f * f - 1) / 12.0, 0.25) ** 0.5 / f
    small = cv2.GaussianBlur(small, (0, 0), rest)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def fine_band(grey: np.ndarray) -> np.ndarray:
    """Laplacian of a grey image (float32), after a light 3x3 blur that keeps sensor noise
    and H.264 blocking from passing for detail."""
    return cv2.Laplacian(cv2.GaussianBlur(grey, (3, 3), 0.8), cv2.CV_32F, ksize=3)


def laplacian_energy(grey: np.ndarray) -> float:
    """Mean squared fine band of a grey image."""
    lap = fine_band(grey)
    return float(np.mean(lap * lap))


def sharpness(grey: np.ndarray) -> float:
    """Blur estimate, bigger = sharper: the Laplacian energy relative to the gradient energy
    two octaves down. The ratio cancels most of the scene's own contrast (a textured and a
    flat stretch of one clip compare fairly), and motion blur lowers it, since it removes the
    fine band first while the coarse band barely moves."""
    fine = laplacian_energy(grey)
    h, w = grey.shape[:2]
    coarse_img = cv2.resize(grey, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    gx = cv2.Sobel(coarse_img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(coarse_img, cv2.CV_32F, 0, 1, ksize=3)
    coarse = float(np.mean(gx * gx + gy * gy))
    return fine / (coarse + 1.0)


class FrameInfo:
    """What the stage knows about one frame. `grey` is the half- (or quarter-) size grey image
    the sharpness is measured on, `flow_grey` its blurred copy for the flow; `low`/`detail` are made on first use, since most frames are
    never picked as a reference."""

    def __init__(self, index: int, rgb: np.ndarray, base: np.ndarray | None = None,
                 flow_scale: int = 2, sigma: float = 6.0, preblur: float = 2.5):
        self.index = index
        self.flow_scale = flow_scale     # `grey` is this many times smaller than the frame
        self.rgb = rgb
        self.base = base
        self.sigma = sigma
        h, w = rgb.shape[:2]
        full_grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        self.grey = cv2.resize(full_grey, (w // flow_scale, h // flow_scale),
                               interpolation=cv2.INTER_AREA) if flow_scale > 1 else full_grey
        self.sharpness = sharpness(self.grey)
        # what the flow sees: blurred, so that a sharp reference and a blurred target look
        # alike (on the bundled clip this lifts the aligned reference by 1-3 dB)
        self.flow_grey = (cv2.GaussianBlur(self.grey, (0, 0), preblur) if preblur > 0
                          else self.grey)
        thumb = cv2.resize(full_grey, THUMB, interpolation=cv2.INTER_AREA)
        self.thumb = thumb.astype(np.float32)
        self.hist = np.bincount((thumb >> 4).ravel(), minlength=16) / thumb.size
        self.segment = 0                 # scene id, set by the window (cuts bump it)
        self.step: np.ndarray | None = None   # homography from the previous frame's pixels
                                              # (multi-frame deconvolution; None: none)
        self.deconvolved = 0.0           # share of its pixels the deconvolution restored
        self._detail: np.ndarray | None = None
        self._grey_low: np.ndarray | None = None
        self._mid: np.ndarray | None = None
        self._fine_energy: np.ndarray | None = None

    @property
    def low(self) -> np.ndarray:
        """The frame's low band (float32), made on each use and not kept: a frame needs it
        once as a target and once for its detail, and at 4K each such array is 100 MB (a
        window of them kept took a default 4K export from 1.9 to 4.3 GB)."""
        return lowpass(self.rgb.astype(np.float32), self.sigma)

    @property
    def detail(self) -> np.ndarray:
        """The frame above the low band (float32, signed): what a reference lends."""
        if self._detail is None:
            # no float copy of the frame: the subtraction casts as it goes
            self._detail = np.subtract(self.rgb, self.low, dtype=np.float32)
        return self._detail

    @property
    def grey_low(self) -> np.ndarray:
        """Low band of the flow-size grey image, to test where an aligned reference agrees."""
        if self._grey_low is None:
            self._grey_low = lowpass(self.grey.astype(np.float32), self.sigma / 2)
        return self._grey_low

    @property
    def mid(self) -> np.ndarray:
        """Mid band of the flow image (float32, signed), for the structure test."""
        if self._mid is None:
            self._mid = self.flow_grey.astype(np.float32) - self.grey_low
        return self._mid

    def fine_energy(self, sigma: float) -> np.ndarray:
        """Local energy of the fine band (the Laplacian of the flow-size grey image, lightly
        smoothed as in `laplacian_energy`), averaged over a Gaussian window of `sigma`
        flow-size pixels: where this frame is sharp and where it is not."""
        if self._fine_energy is None:
            lap = fine_band(self.grey)
            self._fine_energy = cv2.GaussianBlur(lap * lap, (0, 0), sigma)
        return self._fine_energy

    def release(self) -> None:
        """Drop the big arrays once the frame can no longer be a reference."""
        self.rgb = self.base = None
        self._detail = None


CUT_CORRELATION = 0.5   # thumbnails correlating better than this (at their best shift) are
                        # one scene however much they differ: a fast pan over a high-contrast
                        # scene differs by up to 49 at 640x360 but correlates at 0.67 or more (the
                        # 8 tuning clips), the bundled clip's cut at 0.36


def scene_cut(prev: FrameInfo, cur: FrameInfo, level: float = 16.0,
              hist_level: float = 0.5) -> bool:
    """A cut between two consecutive frames: their thumbnails differ a lot even after the
    mean brightness is taken out (a flash or a fade alone is no cut) and at the best of the
    small shifts shake makes (a thumbnail pixel each way), and they do not correlate at any
    shift of up to two thumbnail pixels; or their histograms hardly overlap. On the bundled
    clip shake scores at most 6, its one cut 37."""
    a = prev.thumb - prev.thumb.mean()
    b = cur.thumb - cur.thumb.mean()
    h, w = a.shape
    core = b[1:h - 1, 1:w - 1]
    diff = min(float(np.mean(np.abs(a[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx] - core)))
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    overlap = float(np.minimum(prev.hist, cur.hist).sum())
    if overlap < 1.0 - hist_level:
        return True
    return diff > level and best_correlation(a, b, 2) < CUT_CORRELATION


def best_correlation(a: np.ndarray, b: np.ndarray, reach: int) -> float:
    """The highest normalised correlation of b's core with a, over shifts of up to `reach`
    pixels each way (small float32 images: the thumbnails). A flat core correlates with
    nothing (OpenCV would call it a match)."""
    h, w = a.shape
    core = b[reach:h - reach, reach:w - reach]
    if float(core.std()) < 1e-3:
        return 0.0
    return float(cv2.matchTemplate(a, core, cv2.TM_CCOEFF_NORMED).max())
