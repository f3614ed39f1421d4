"""Exposure and colour variation of sharp training crops: the allowed photos are mostly
well exposed and moderately saturated, while phone video is often bright (skies, clipped
highlights), dark, or strongly saturated. Each crop is changed, with some probability, by an
exposure gain in linear light (clipping as a sensor does) and a saturation scale."""
from __future__ import annotations

import numpy as np
import torch

from models.training.colour import linear_to_srgb, srgb_to_linear

LUMA = (0.2126, 0.7152, 0.0722)


def re_expose(sharp: torch.Tensor, gain: torch.Tensor, saturation: torch.Tensor) -> torch.Tensor:
    """B x 3 x H x W sRGB -> the same scene at `gain` times the exposure (linear light,
    clipped) and `saturation` times the colourfulness; gain/saturation broadcast (B x 1 x 1 x 1)."""
    linear = srgb_to_linear(sharp) * gain
    luma = (linear * torch.tensor(LUMA, device=sharp.device)[None, :, None, None]).sum(
        1, keepdim=True)
    return linear_to_srgb((luma + (linear - luma) * saturation).clamp(0, 1))


def vary_exposure(sharp: torch.Tensor, rng: np.random.Generator, prob: float = 0.5,
                  stops: tuple[float, float] = (-1.5, 1.5),
                  saturation: tuple[float, float] = (0.5, 1.8)) -> torch.Tensor:
    """B x 3 x H x W sRGB in [0, 1] -> the same, each image re-exposed with probability prob."""
    batch = sharp.shape[0]
    on = rng.random(batch) < prob
    if not on.any():
        return sharp
    dev = sharp.device
    gain = torch.as_tensor(np.where(on, 2.0 ** rng.uniform(*stops, batch), 1.0),
                           dtype=torch.float32, device=dev)[:, None, None, None]
    sat = torch.as_tensor(np.where(on, rng.uniform(*saturation, batch), 1.0),
                          dtype=torch.float32, device=dev)[:, None, None, None]
    return re_expose(sharp, gain, sat)
