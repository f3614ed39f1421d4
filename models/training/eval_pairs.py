"""Evaluation pairs: held-out photos at a fixed size with seeded camera-shake blur, written
as blur/ and sharp/ PNG folders (the layout `deblur eval --pairs` reads)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import torch

from models.training.blur import BlurConfig, BlurSynthesizer
from models.training.data import load_rgb, to_tensor

# Camera shake only (no objects, no codec), up to 40 px at 1280x720, scaled to the size.
SHAKE_ONLY = BlurConfig(identity_prob=0.0, object_prob=0.0, jpeg_prob=0.0, h264_prob=0.0)


def fit_crop(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale so the image covers width x height, then take the centre."""
    scale = max(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (max(width, round(image.shape[1] * scale)),
                                 max(height, round(image.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    top, left = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[top:top + height, left:left + width])


def view(image: np.ndarray, width: int, height: int, zoom: float,
         rng: np.random.Generator) -> np.ndarray:
    """A width x height window of the image scaled to cover it `zoom` times, at a random spot
    (zoom 1: the centre crop)."""
    if zoom == 1.0:
        return fit_crop(image, width, height)
    big = fit_crop(image, round(width * zoom), round(height * zoom))
    top = int(rng.integers(big.shape[0] - height + 1))
    left = int(rng.integers(big.shape[1] - width + 1))
    return np.ascontiguousarray(big[top:top + height, left:left + width])


def write_pairs(photos: list[Path], out: Path, width: int = 640, height: int = 360,
                seed: int = 0, per_photo: int = 1, noise: bool = True) -> int:
    """`per_photo` pairs per photo (the centre, then closer views at random spots, each with
    its own shake: a larger set than the photos alone decides smaller differences); returns
    how many were written. `noise=False`: no sensor noise (the blur is the same either way:
    the noise draws are made regardless, so the seeded shakes do not change)."""
    config = dataclasses.replace(SHAKE_ONLY, max_extent=40.0 * width / 1280,
                                 noise_prob=SHAKE_ONLY.noise_prob if noise else 0.0)
    synth = BlurSynthesizer(config, seed=seed)
    rng = np.random.default_rng(seed)
    (out / "blur").mkdir(parents=True, exist_ok=True)
    (out / "sharp").mkdir(parents=True, exist_ok=True)
    for i, photo in enumerate(photos):
        image = load_rgb(photo)
        for j in range(per_photo):
            sharp = to_tensor([view(image, width, height, 1.0 + 0.4 * j, rng)])
            with torch.no_grad():
                blurred, target = synth(sharp)
            name = f"{i:03d}_{photo.stem}.png" if j == 0 else f"{i:03d}_{photo.stem}_{j}.png"
            for folder, picture in (("blur", blurred), ("sharp", target)):
                pixels = (picture[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
                cv2.imwrite(str(out / folder / name), pixels[..., ::-1])
    return len(photos) * per_photo
