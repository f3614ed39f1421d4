"""The temporal stage's learned refinement: a small two-scale CNN that corrects the classical
fusion's frame (engine/temporal/fusion.py) from what the fusion had in hand.

It sees, per pixel, the fused frame, the frame as it came (the blurred input), the sharpest
reference aligned onto it (only where the fusion trusted it: multiplied by its weight), the
base the fusion started from (the model's or the deconvolution's frame) and that weight (a
config of two references also sees the second, weighted alike), and adds a correction to
the fused frame, only where the fusion trusted a reference. Its last layer starts at zero,
so an untrained refiner is the classical fusion exactly; what it learns is where the fusion
under- or over-borrowed (SSEN's "take only what is similar", learnt instead of hand-set)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

ONE_REFERENCE = 13   # fused (3), input (3), aligned reference (3), base (3), its weight (1)
PER_REFERENCE = 4    # each further reference: aligned (3), its weight (1)
MAX_REFERENCES = 2   # what the stage aligns per frame (window.TemporalFuser's default)
STORED = ONE_REFERENCE + PER_REFERENCE * (MAX_REFERENCES - 1)   # a training crop's inputs


def inputs_for(references: int) -> int:
    """Input channels of a refiner that sees `references` aligned references."""
    return ONE_REFERENCE + PER_REFERENCE * (references - 1)


GATE = 4.0           # the correction is whole where the reference's weight is 1 / GATE or more,
                     # and fades to none where the fusion trusted no reference: there the
                     # refiner would only guess (it took soft edges for blur on the tuning
                     # clips: 4 % of crops 0.5 dB worse ungated, 0.5 % gated, the same mean)


@dataclass(frozen=True)
class FusionRefinerConfig:
    channels: int = 16           # full-resolution features
    half_channels: int = 32      # the half-resolution branch's (0: twice `channels`). 16 / 32
                                 # (session 17) gains what 24 / 48 did at 0.47x the
                                 # arithmetic, trained 6000 steps instead of 3500
    references: int = 1          # aligned references it sees (the sharpest first). Two (the
                                 # stage aligns two) were tried in session 15: +0.444 against
                                 # +0.433 dB at 1000 steps on the same crops, more crops
                                 # harmed; not worth the second warp and wider head

    @property
    def inputs(self) -> int:
        return inputs_for(self.references)

    @property
    def half(self) -> int:
        return self.half_channels or 2 * self.channels


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1)


class FusionRefiner(nn.Module):
    """forward(x): x is N x inputs x H x W in [0, 1] (fused, input, aligned reference, base,
    weight, then each further reference and its weight; H and W even); returns the refined
    N x 3 x H x W (not clamped)."""

    def __init__(self, config: FusionRefinerConfig = FusionRefinerConfig()):
        super().__init__()
        c, h = config.channels, config.half
        self.config = config
        self.head = nn.Sequential(_conv(config.inputs, c), nn.ReLU(), _conv(c, c), nn.ReLU())
        self.down = nn.Sequential(_conv(c, h, 2), nn.ReLU(), _conv(h, h), nn.ReLU(),
                                  _conv(h, h), nn.ReLU())
        self.up = _conv(h, c)
        self.tail = nn.Sequential(_conv(2 * c, c), nn.ReLU(), _conv(c, 3))
        nn.init.zeros_(self.tail[-1].weight)
        nn.init.zeros_(self.tail[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fused, weight = x[:, 0:3], x[:, 12:13]
        # differences from the fused frame: what each source would change there
        parts = [fused - 0.5, x[:, 3:6] - fused, (x[:, 6:9] - fused) * weight,
                 x[:, 9:12] - fused, weight]
        for k in range(ONE_REFERENCE, x.shape[1], PER_REFERENCE):
            other = x[:, k + 3:k + 4]
            parts += [(x[:, k:k + 3] - fused) * other, other]
        features = torch.cat(parts, 1)
        full = self.head(features)
        half = self.up(self.down(full))
        half = F.interpolate(half, size=full.shape[-2:], mode="bilinear", align_corners=False)
        correction = self.tail(torch.cat([full, F.relu(half)], 1))
        return fused + (weight * GATE).clamp(0, 1) * correction
