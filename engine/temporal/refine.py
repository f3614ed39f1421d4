"""The learned refinement of a fused frame (models/fusion_refiner.py), and the inputs it is
given: what the classical fusion had in hand for one frame. The same `refiner_inputs` feeds
training (engine/temporal/refiner_crops.py) and use, so the two cannot drift apart."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from engine.temporal.align import Alignment
from engine.temporal.sharpness import FrameInfo
from models import ModelError, load

REFINER = "fusion-refiner"


def refiner_inputs(fused: np.ndarray, target: FrameInfo,
                   first: tuple[FrameInfo, Alignment, np.ndarray]) -> np.ndarray:
    """H x W x 13 uint8: the fused frame, the input, the first (sharpest) reference aligned
    onto the target, the base the fusion started from, and that reference's weight (x 255)."""
    ref, alignment, weight = first
    h, w = fused.shape[:2]
    mx, my = alignment.full_maps(w, h)
    warped = cv2.remap(ref.rgb, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    weight_full = cv2.resize(weight, (w, h), interpolation=cv2.INTER_LINEAR)
    weight_u8 = np.clip(weight_full * 255 + 0.5, 0, 255).astype(np.uint8)
    base = target.rgb if target.base is None else target.base
    return np.concatenate([fused, target.rgb, warped, base, weight_u8[..., None]], axis=2)


class FusionRefinement:
    """The trained refiner on the CPU (torch, no grad): fused frame in, refined frame out."""

    def __init__(self, module: torch.nn.Module):
        self.module = module

    @classmethod
    def load(cls) -> FusionRefinement:
        """The shipped refiner; ModelError when its weights are missing or fail their check."""
        return cls(load(REFINER, helper=True).module)

    @classmethod
    def load_if_trained(cls) -> FusionRefinement | None:
        try:
            return cls.load()
        except ModelError:
            return None

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        """`refiner_inputs(...)` in, the refined uint8 RGB frame out (any size: padded to
        even for the half-resolution branch, by repeating the last row and column)."""
        h, w = inputs.shape[:2]
        padded = (np.pad(inputs, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
                  if h % 2 or w % 2 else inputs)
        x = torch.from_numpy(padded).permute(2, 0, 1)[None].float().div_(255)
        with torch.inference_mode():
            y = self.module(x)[0, :, :h, :w].clamp_(0, 1).mul_(255).add_(0.5)
        return y.to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
