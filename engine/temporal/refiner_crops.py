"""Training crops for the fusion refiner: clips with their ground truth (`deblur data clips
--from train`) run through the temporal stage as `--temporal --deconvolve` runs it, and from
every frame it fused with a reference, random crops of the refiner's inputs with the truth."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.measure.clip_evaluation import find_clips
from engine.sources.file import read_all
from engine.temporal.window import TemporalFuser
from models.fusion_refiner import MAX_REFERENCES, STORED

CROP = 128                 # px; training draws smaller crops from these, flipped and turned
PER_FRAME = 8              # crops per fused frame


class _Collecting:
    """Stands in for the refiner: keeps each frame's inputs (for as many references as the
    stage aligns: a refiner that sees fewer trains on the first channels) and leaves the fused
    frame as it is."""

    references = MAX_REFERENCES

    def __init__(self):
        self.inputs: list[np.ndarray] = []

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        self.inputs.append(inputs)
        return inputs[..., :3]


def clip_crops(blurred: Path, truth: Path, rng: np.random.Generator, window: int = 6,
               crop: int = CROP, per_frame: int = PER_FRAME) -> np.ndarray:
    """N x crop x crop x (STORED + 3) uint8: the refiner inputs for two references and the
    truth, from one clip."""
    frames = [f.rgb for f in read_all(blurred)]
    truths = [f.rgb for f in read_all(truth)]
    collector = _Collecting()
    fuser = TemporalFuser(window=window, deconvolve=True, refiner=collector)
    refined = []
    for i, rgb in enumerate(frames):
        refined += [r.index for r in fuser.push(i, rgb) if r.stats.refined]
    refined += [r.index for r in fuser.flush() if r.stats.refined]
    crops = []
    for index, inputs in zip(refined, collector.inputs):
        stack = np.concatenate([inputs, truths[index]], axis=2)
        h, w = stack.shape[:2]
        for _ in range(per_frame):
            y, x = rng.integers(0, h - crop + 1), rng.integers(0, w - crop + 1)
            crops.append(stack[y:y + crop, x:x + crop])
    return np.stack(crops) if crops else np.zeros((0, crop, crop, STORED + 3), np.uint8)


def _clip_number(path: Path) -> int:
    """NN of NN_photo.mp4; a clip not named so is never skipped."""
    head = path.stem.split("_", 1)[0]
    return int(head) if head.isdigit() else 1 << 30


def folder_crops(folder: Path, seed: int | list[int] = 0, skip: int = 0,
                 progress: Callable[[str, int], object] | None = None) -> np.ndarray:
    """The crops of every clip in `folder` but those numbered below `skip` (clips named
    `NN_photo`, `deblur data clips` style: the first ones may be a tuning set's photos; a
    folder made with `--first` lacks them already)."""
    rng = np.random.default_rng(seed)
    parts = []
    for blurred, truth in find_clips(folder):
        if _clip_number(blurred) < skip:
            continue
        parts.append(clip_crops(blurred, truth, rng))
        if progress:
            progress(blurred.stem, len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, CROP, CROP, STORED + 3), np.uint8)
