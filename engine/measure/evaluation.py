"""PSNR / SSIM of blurred input, restored output and a classical unsharp-mask baseline against
the sharp ground truth, plus 'do no harm': the sharp image restored vs itself."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from engine.errors import InputError
from engine.jobs.images import read_image
from engine.stages.restorer import Restorer
from engine.sources.file import FileSource


def unsharp_mask(rgb: np.ndarray, sigma: float = 2.0, amount: float = 1.0) -> np.ndarray:
    """The classical sharpening floor: rgb + amount * (rgb - gaussian(rgb))."""
    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.addWeighted(rgb, 1 + amount, blurred, -amount, 0)


PSNR_IDENTICAL = 100.0   # dB for two identical images (infinite otherwise): means stay finite


def psnr(reference: np.ndarray, image: np.ndarray) -> float:
    """PSNR in dB of uint8 pictures, capped at PSNR_IDENTICAL."""
    if np.array_equal(reference, image):
        return PSNR_IDENTICAL
    return min(float(peak_signal_noise_ratio(reference, image, data_range=255)), PSNR_IDENTICAL)


def _scores(reference: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    score = psnr(reference, image)
    ssim = structural_similarity(reference, image, channel_axis=2, data_range=255)
    return score, float(ssim)


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


# Bands of input PSNR, i.e. of how blurred the input is: heavy blur below 22 dB, nearly sharp
# from 32 dB. One mean over all frames hides a model that gains on heavy blur and harms
# nearly sharp frames; the bands show it.
SEVERITY_EDGES = (22.0, 25.0, 28.0, 32.0)


def gain_by_severity(scores: list[tuple[float, float]]) -> list[dict]:
    """Mean output-minus-input PSNR and count per band of input PSNR, for (input, output)
    PSNR pairs; empty bands are left out."""
    edges = (-np.inf, *SEVERITY_EDGES, np.inf)
    bands = []
    for low, high in zip(edges, edges[1:]):
        gains = [output - source for source, output in scores if low <= source < high]
        if gains:
            label = (f"<{high:g}" if low == -np.inf else f">={low:g}" if high == np.inf
                     else f"{low:g}-{high:g}")
            bands.append({"input_db": label, "count": len(gains),
                          "gain": round(float(np.mean(gains)), 3)})
    return bands


def describe_severity(bands: list[dict]) -> str:
    """'gain by input PSNR: <22 dB +0.36 (66), 22-25 dB +0.06 (34), ...'"""
    return "gain by input PSNR: " + ", ".join(
        f"{b['input_db']} dB {b['gain']:+.2f} ({b['count']})" for b in bands)


# "Sharp in": a frame that needs no help must come out as it went in, at least this close.
SHARP_KEPT_TARGET_DB = 38.0


def evaluate_sharp(restorer: Restorer, path: Path) -> dict:
    """PSNR of a sharp image restored against itself, and the mean brightness change."""
    sharp = read_image(path).rgb
    restored = restorer.restore(sharp)
    return {"image": path.name,
            "psnr_kept": _scores(sharp, restored)[0],
            "mean_shift": float(restored.mean(dtype=np.float64) - sharp.mean(dtype=np.float64))}


def worst(rows: list[dict], key: str) -> dict:
    """The row with the lowest `key` (the case a user notices, which a mean hides)."""
    return min(rows, key=lambda r: r[key])


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
        self._psnr: list[tuple[float, float]] = []   # (input, output) per frame

    def add(self, blurred: np.ndarray, restored: np.ndarray) -> np.ndarray:
        """Score one frame; returns its ground truth (uint8 RGB)."""
        truth = next(self._frames, None)
        if truth is None:
            raise InputError(f"{self.reference.name}: has fewer frames than the input")
        if truth.rgb.shape != blurred.shape:
            raise InputError(f"{self.reference.name}: frame size {truth.rgb.shape[1]}x"
                             f"{truth.rgb.shape[0]} differs from the input's "
                             f"{blurred.shape[1]}x{blurred.shape[0]}")
        self._psnr.append((psnr(truth.rgb, blurred), psnr(truth.rgb, restored)))
        return truth.rgb

    def result(self) -> dict:
        psnr = np.array(self._psnr).reshape(-1, 2)
        mean = psnr.mean(axis=0) if len(psnr) else (0.0, 0.0)
        return {"frames": len(psnr), "psnr_input": float(mean[0]),
                "psnr_output": float(mean[1]), "by_input": gain_by_severity(self._psnr)}

    def close(self) -> None:
        self.reference.close()
