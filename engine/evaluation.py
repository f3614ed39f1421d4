"""PSNR / SSIM of blurred input, restored output and a classical unsharp-mask baseline against
the sharp ground truth, plus 'do no harm': the sharp image restored vs itself."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from engine.errors import InputError
from engine.images import read_image
from engine.restorer import Restorer
from engine.sources.file import FileSource


def unsharp_mask(rgb: np.ndarray, sigma: float = 2.0, amount: float = 1.0) -> np.ndarray:
    """The classical sharpening floor: rgb + amount * (rgb - gaussian(rgb))."""
    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.addWeighted(rgb, 1 + amount, blurred, -amount, 0)


def _scores(reference: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    psnr = peak_signal_noise_ratio(reference, image, data_range=255)
    ssim = structural_similarity(reference, image, channel_axis=2, data_range=255)
    return float(psnr), float(ssim)


def evaluate_pair(restorer: Restorer, blurred_path: Path, sharp_path: Path) -> dict:
    blurred, sharp = read_image(blurred_path).rgb, read_image(sharp_path).rgb
    if blurred.shape != sharp.shape:
        raise InputError(f"{blurred_path}: size {blurred.shape[1]}x{blurred.shape[0]} differs "
                         f"from its sharp image {sharp.shape[1]}x{sharp.shape[0]}")
    restored = restorer.restore(blurred)
    row = {"image": blurred_path.name}
    for label, image in (("input", blurred), ("output", restored),
                         ("unsharp", unsharp_mask(blurred))):
        row[f"psnr_{label}"], row[f"ssim_{label}"] = _scores(sharp, image)
    row["psnr_sharp_kept"] = _scores(sharp, restorer.restore(sharp))[0]
    return row


def average(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "image"]
    return {"image": "average", **{k: float(np.mean([r[k] for r in rows])) for k in keys}}


class VideoScores:
    """Mean per-frame PSNR of a video's input and restored frames against its ground truth,
    read frame by frame from `reference` alongside the export (restored frames are scored
    before encoding)."""

    def __init__(self, reference: Path):
        self.reference = FileSource(reference)
        self._frames = iter(self.reference)
        self.count, self._input, self._output = 0, 0.0, 0.0

    def add(self, blurred: np.ndarray, restored: np.ndarray) -> None:
        truth = next(self._frames, None)
        if truth is None:
            raise InputError(f"{self.reference.name}: has fewer frames than the input")
        if truth.rgb.shape != blurred.shape:
            raise InputError(f"{self.reference.name}: frame size {truth.rgb.shape[1]}x"
                             f"{truth.rgb.shape[0]} differs from the input's "
                             f"{blurred.shape[1]}x{blurred.shape[0]}")
        self._input += peak_signal_noise_ratio(truth.rgb, blurred, data_range=255)
        self._output += peak_signal_noise_ratio(truth.rgb, restored, data_range=255)
        self.count += 1

    def result(self) -> dict:
        n = max(self.count, 1)
        return {"frames": self.count, "psnr_input": self._input / n,
                "psnr_output": self._output / n}

    def close(self) -> None:
        self.reference.close()
