"""Training images: random multi-scale crops of sharp photos (and dead leaves), with flips,
90-degree rotations and colour jitter; and a reader for paired blur/sharp folders in the
GoPro / REDS layout for users with real datasets."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from models.training.dead_leaves import dead_leaves
from models.training.fetch import IMAGE_SUFFIXES


def load_rgb(path: Path, short_side: int | None = None) -> np.ndarray:
    """uint8 RGB, optionally downscaled (area filter) so the short side is `short_side`."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    if short_side is not None and min(image.shape[:2]) > short_side:
        scale = short_side / min(image.shape[:2])
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[..., ::-1])


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    """uint8 H x W x 3 arrays -> float B x 3 x H x W in [0, 1]."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


def augment(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Flips, a 90-degree rotation and a mild colour jitter (gain, white balance, saturation,
    gamma) on a uint8 RGB crop."""
    if rng.random() < 0.5:
        image = image[:, ::-1]
    if rng.random() < 0.5:
        image = image[::-1]
    image = np.rot90(image, int(rng.integers(4)))
    x = image.astype(np.float32) / 255
    x = x * rng.uniform(0.85, 1.15) * rng.uniform(0.94, 1.06, 3)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.8, 1.2)
    x = np.clip(x, 0, 1) ** rng.uniform(0.85, 1.15)
    return (x * 255 + 0.5).astype(np.uint8)


class PhotoCrops:
    """Sharp crops for training. Photos are held in memory at a short side of `short_side`;
    each crop takes a random window of crop/scale pixels (scale in [min_scale, 1]) resized to
    crop x crop, so one photo yields detail at several scales."""

    def __init__(self, paths: list[Path], crop: int, seed: int = 0, short_side: int = 720,
                 min_scale: float = 0.4, dead_leaves_prob: float = 0.1):
        self.images = [load_rgb(p, short_side) for p in paths]
        self.crop, self.min_scale, self.dead_leaves_prob = crop, min_scale, dead_leaves_prob
        self.rng = np.random.default_rng(seed)

    def sample(self) -> np.ndarray:
        rng, crop = self.rng, self.crop
        if not self.images or rng.random() < self.dead_leaves_prob:
            return augment(rng, dead_leaves(rng, crop))
        image = self.images[int(rng.integers(len(self.images)))]
        height, width = image.shape[:2]
        window = int(min(crop / rng.uniform(self.min_scale, 1.0), height, width))
        top = int(rng.integers(height - window + 1))
        left = int(rng.integers(width - window + 1))
        patch = image[top:top + window, left:left + window]
        if window != crop:
            patch = cv2.resize(patch, (crop, crop), interpolation=cv2.INTER_AREA)
        return augment(rng, patch)

    def batch(self, size: int) -> torch.Tensor:
        return to_tensor([self.sample() for _ in range(size)])


def find_pairs(root: Path) -> list[tuple[Path, Path]]:
    """(blurred, sharp) files under `root`: every folder named blur (or ending in _blur, as
    REDS's train_blur) whose sibling sharp folder holds a file of the same relative path."""
    pairs = []
    for blur_dir in sorted(p for p in Path(root).rglob("*") if p.is_dir()
                           and (p.name == "blur" or p.name.endswith("_blur"))):
        sharp_dir = blur_dir.with_name(blur_dir.name[:-len("blur")] + "sharp")
        if not sharp_dir.is_dir():
            continue
        for blurred in sorted(blur_dir.rglob("*")):
            if blurred.suffix.lower() in IMAGE_SUFFIXES:
                sharp = sharp_dir / blurred.relative_to(blur_dir)
                if sharp.is_file():
                    pairs.append((blurred, sharp))
    return pairs


class PairedCrops:
    """Aligned random crops from real (blurred, sharp) pairs, with the same flips/rotation
    applied to both images of a pair."""

    def __init__(self, root: Path, crop: int, seed: int = 0):
        self.pairs = find_pairs(root)
        if not self.pairs:
            raise ValueError(f"{root}: no blur/ + sharp/ image pairs found")
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng, crop = self.rng, self.crop
        blurred, sharp = [], []
        for _ in range(size):
            b_path, s_path = self.pairs[int(rng.integers(len(self.pairs)))]
            b, s = load_rgb(b_path), load_rgb(s_path)
            top = int(rng.integers(max(1, b.shape[0] - crop + 1)))
            left = int(rng.integers(max(1, b.shape[1] - crop + 1)))
            b, s = (x[top:top + crop, left:left + crop] for x in (b, s))
            k, flip = int(rng.integers(4)), rng.random() < 0.5
            b, s = (np.ascontiguousarray(np.rot90(x[:, ::-1] if flip else x, k)) for x in (b, s))
            blurred.append(b)
            sharp.append(s)
        return to_tensor(blurred), to_tensor(sharp)
