"""DeblurGAN-v2's double-scale discriminator: a local 70 x 70 PatchGAN that judges texture
patch by patch, and a global branch that sees the whole image and gives one score per image.
Used only in training (models/training/losses.py holds the RaGAN-LS losses)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class DiscriminatorConfig:
    base_channels: int = 64
    local_layers: int = 3    # 3 stride-2 layers: a 70 x 70 receptive field
    global_layers: int = 5   # deeper, then averaged over the whole image


def _patchgan(layers: int, base: int) -> nn.Sequential:
    """pix2pix PatchGAN: 4 x 4 convs, `layers` of them with stride 2, then two with stride 1;
    instance norm (a training-only network, so frame statistics are harmless here)."""
    seq: list[nn.Module] = [nn.Conv2d(3, base, 4, 2, 1), nn.LeakyReLU(0.2)]
    width = base
    for i in range(1, layers + 1):
        stride = 2 if i < layers else 1
        out = base * min(2 ** i, 8)
        seq += [nn.Conv2d(width, out, 4, stride, 1, bias=False),
                nn.InstanceNorm2d(out, affine=True), nn.LeakyReLU(0.2)]
        width = out
    seq.append(nn.Conv2d(width, 1, 4, 1, 1))
    return nn.Sequential(*seq)


class DoubleScaleDiscriminator(nn.Module):
    """Returns (local score map, global score per image). Both branches take images in the
    generator's range ([-1, 1])."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        self.local_branch = _patchgan(config.local_layers, config.base_channels)
        self.global_branch = _patchgan(config.global_layers, config.base_channels)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        local_scores = self.local_branch(image)
        global_scores = self.global_branch(image).mean(dim=(2, 3), keepdim=True)
        return local_scores, global_scores
