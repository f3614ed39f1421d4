"""The "sharp in" evaluation set: frames that need no help, which a restorer must give back
unchanged (PSNR of output against input). Made from held-out photos in the kinds of content
that once fooled a model — bright skies and clipped highlights, saturated colour, dark
scenes, sensor noise, H.264 coding — plus frames of a real sharp video (already H.264)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from models.training.colour import linear_to_srgb, srgb_to_linear
from models.training.compression import h264_roundtrip
from models.training.data import load_rgb
from models.training.eval_pairs import fit_crop
from models.training.exposure import LUMA, re_expose


def _exposed(rgb: np.ndarray, stops: float, saturation: float = 1.0) -> np.ndarray:
    image = torch.from_numpy(rgb).float().permute(2, 0, 1)[None] / 255
    out = re_expose(image, torch.tensor(2.0 ** stops), torch.tensor(saturation))
    return (out[0].permute(1, 2, 0) * 255).round().byte().numpy()


def _linear_luma(rgb: np.ndarray) -> np.ndarray:
    linear = srgb_to_linear(torch.from_numpy(rgb).float() / 255)
    return (linear * torch.tensor(LUMA)).sum(-1).numpy()


def _bright(rgb: np.ndarray) -> np.ndarray:
    """Exposed so that the brightest 15% clip, as a sky does behind a well-exposed subject."""
    return _exposed(rgb, float(np.log2(1 / max(np.percentile(_linear_luma(rgb), 85), 1e-3))))


def _dark(rgb: np.ndarray) -> np.ndarray:
    """Exposed down to a mean linear luminance of 1.5% (sRGB ~0.13): a dim room at night."""
    return _exposed(rgb, float(np.log2(0.015 / max(_linear_luma(rgb).mean(), 1e-4))))


def _noisy(rgb: np.ndarray) -> np.ndarray:
    """Poisson-Gaussian noise at a fixed, clearly visible level (a dim indoor phone frame)."""
    linear = srgb_to_linear(torch.from_numpy(rgb).float() / 255)
    gen = torch.Generator().manual_seed(0)
    noisy = linear + torch.sqrt(2e-3 * linear + 1e-5) * torch.randn(linear.shape, generator=gen)
    return (linear_to_srgb(noisy.clamp(0, 1)) * 255).round().byte().numpy()


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "plain": lambda rgb: rgb,
    "bright": _bright,
    "saturated": lambda rgb: _exposed(rgb, 0.0, 1.8),
    "dark": _dark,
    "noisy": _noisy,
    "h264": lambda rgb: h264_roundtrip(rgb, 28),
}


def write_sharp_set(photos: list[Path], out: Path, width: int = 640, height: int = 360,
                    frames: dict[str, np.ndarray] | None = None) -> int:
    """Every variant of every photo, plus `frames` (name -> RGB, e.g. frames of a real sharp
    video), as PNGs in `out`; returns how many images were written."""
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for i, photo in enumerate(photos):
        base = fit_crop(load_rgb(photo), width, height)
        for name, variant in VARIANTS.items():
            cv2.imwrite(str(out / f"{i:03d}_{photo.stem}.{name}.png"), variant(base)[..., ::-1])
            count += 1
    for name, rgb in (frames or {}).items():
        cv2.imwrite(str(out / f"{name}.png"), fit_crop(rgb, width, height)[..., ::-1])
        count += 1
    return count
