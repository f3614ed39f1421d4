"""Evaluation clips: hand-held phone clips (photo_clip.py) made from held-out photos only, the
object cut from another held-out photo. Layout in the folder, per clip NAME:
  NAME.mp4        the blurred clip (H.264 yuv420p, CRF 20-23)
  NAME.sharp.mkv  its ground truth (FFV1, lossless RGB), frame for frame
  NAME.json       how it was made: photos, exposure, blur length and calm/shaky per frame
(the layout `deblur eval --clips` reads; NAME.sharp.* beside any video also counts)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.training.data import load_rgb
from models.training.photo_clip import PROCEDURAL, ClipConfig, PhotoClip


@dataclass(frozen=True)
class ClipPlan:
    name: str
    photo: Path
    object_photo: Path | None
    config: ClipConfig

    def clip(self) -> PhotoClip:
        other = load_rgb(self.object_photo) if self.object_photo else PROCEDURAL
        return PhotoClip(load_rgb(self.photo), self.config, other)

    @classmethod
    def from_info(cls, name: str, info: dict) -> "ClipPlan":
        """The plan a clip's NAME.json (`about()` with the clip's `info()`) was made by, to
        make it again: its photos must still be where it names them."""
        fields = {f: info[f] for f in ClipConfig.__dataclass_fields__}
        other = info.get("object_from")
        return cls(name, Path(info["photo"]), Path(other) if other else None,
                   ClipConfig(**fields))

    def about(self) -> dict:
        return {"photo": str(self.photo),
                "object_from": str(self.object_photo) if self.object_photo else None}


def _sharpest_first(photos: list[Path], width: int, height: int) -> list[Path]:
    """Photos ordered by how well they cover the clip (the least upscaled first), so that a
    small photo's softness does not pass for ground truth while larger ones are left out."""
    def cover(path: Path) -> float:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        return min(image.shape[1] / width, image.shape[0] / height) if image is not None else 0
    return sorted(photos, key=lambda p: (-cover(p), str(p)))


def clip_plans(photos: list[Path], width: int, height: int, count: int, frames: int,
               fps: float = 30.0, seed: int = 0) -> list[ClipPlan]:
    """`count` clips, each from a different photo while there are photos left (then round
    again), the object cut from another (drawn shapes if there is one photo), with a seeded
    exposure (0.3-0.8 of the frame interval), longest blur (24-48 px at 1280x720) and CRF
    (20-23)."""
    ranked = _sharpest_first(list(photos), width, height)
    n = len(ranked)
    rng = np.random.default_rng(seed)
    plans = []
    for i in range(count if n else 0):
        photo = ranked[i % n]
        other = ranked[(i % n + 1 + (i // n) % max(n - 1, 1)) % n]   # another, each round anew
        config = ClipConfig(width, height, frames, fps, max_blur=float(rng.uniform(24, 48)),
                            exposure=float(rng.uniform(0.3, 0.8)), crf=int(rng.integers(20, 24)),
                            seed=seed * 1000 + i)
        plans.append(ClipPlan(f"{i:02d}_{photo.stem}", photo, other if other != photo else None,
                              config))
    return plans
