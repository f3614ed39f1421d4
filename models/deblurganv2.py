"""DeblurGAN-v2 generator (Kupyn et al., ICCV 2019): a feature pyramid over a MobileNetV2
backbone. `separable=True` gives the MobileNet-DSC variant in which every dense 3 x 3 conv of
the FPN, the heads and the smoothing layers is depthwise-separable.

Frames are in [-1, 1], NCHW, with height and width multiples of 32 (the 1/32 level must
upsample back onto the 1/16 one exactly); the engine pads to that.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.blocks import ConvNormAct, InvertedResidual, conv, conv3x3, norm_layer


@dataclass(frozen=True)
class FPNGeneratorConfig:
    separable: bool = False   # MobileNet-DSC when True
    fpn_channels: int = 128
    head_channels: int = 64
    norm: str = "batch"       # 'batch' (running stats at inference) or 'none'


class MobileNetV2Encoder(nn.Module):
    """The MobileNetV2 feature extractor cut into five stages at strides 2, 4, 8, 16 and 32
    with 16, 24, 32, 64 and 160 channels (the 320-channel tail is not used by the FPN)."""

    channels = (16, 24, 32, 64, 160)

    def __init__(self, norm: str = "batch"):
        super().__init__()

        def blocks(in_ch: int, out_ch: int, count: int, stride: int) -> list[nn.Module]:
            return [InvertedResidual(in_ch if i == 0 else out_ch, out_ch,
                                     stride if i == 0 else 1, expand=6, norm=norm)
                    for i in range(count)]

        self.stage0 = nn.Sequential(ConvNormAct(3, 32, 3, stride=2, norm=norm, act=nn.ReLU6),
                                    InvertedResidual(32, 16, 1, expand=1, norm=norm))
        self.stage1 = nn.Sequential(*blocks(16, 24, 2, 2))
        self.stage2 = nn.Sequential(*blocks(24, 32, 3, 2))
        self.stage3 = nn.Sequential(*blocks(32, 64, 4, 2))
        self.stage4 = nn.Sequential(*blocks(64, 96, 3, 1), *blocks(96, 160, 2, 2))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in (self.stage0, self.stage1, self.stage2, self.stage3, self.stage4):
            x = stage(x)
            features.append(x)
        return features


def _conv_norm_relu(in_ch: int, out_ch: int, separable: bool, norm: str) -> nn.Sequential:
    return nn.Sequential(conv3x3(in_ch, out_ch, separable, bias=norm == "none"),
                         norm_layer(norm, out_ch), nn.ReLU())


def _up(x: torch.Tensor, factor: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="nearest")


class FPNHead(nn.Sequential):
    """Two 3 x 3 conv + ReLU layers that turn one pyramid level into head features."""

    def __init__(self, in_ch: int, out_ch: int, separable: bool):
        super().__init__(conv3x3(in_ch, out_ch, separable, bias=False), nn.ReLU(),
                         conv3x3(out_ch, out_ch, separable, bias=False), nn.ReLU())


class FPNGenerator(nn.Module):
    """Encoder -> top-down pyramid (1/4 ... 1/32) -> heads upsampled to 1/4 and concatenated
    -> smoothing -> x2 with the 1/2 lateral -> x2 -> conv -> tanh, added to the input."""

    def __init__(self, config: FPNGeneratorConfig = FPNGeneratorConfig()):
        super().__init__()
        c, h, sep, norm = config.fpn_channels, config.head_channels, config.separable, config.norm
        self.encoder = MobileNetV2Encoder(norm)
        e0, e1, e2, e3, e4 = MobileNetV2Encoder.channels
        self.lateral0 = conv(e0, c // 2, 1, bias=False)
        self.lateral1 = conv(e1, c, 1, bias=False)
        self.lateral2 = conv(e2, c, 1, bias=False)
        self.lateral3 = conv(e3, c, 1, bias=False)
        self.lateral4 = conv(e4, c, 1, bias=False)
        self.top_down1 = _conv_norm_relu(c, c, sep, norm)   # 1/16
        self.top_down2 = _conv_norm_relu(c, c, sep, norm)   # 1/8
        self.top_down3 = _conv_norm_relu(c, c, sep, norm)   # 1/4
        self.heads = nn.ModuleList(FPNHead(c, h, sep) for _ in range(4))  # levels 1/4 ... 1/32
        self.smooth = _conv_norm_relu(4 * h, h, sep, norm)
        self.smooth2 = _conv_norm_relu(h, h // 2, sep, norm)
        self.final = conv(h // 2, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f0, f1, f2, f3, f4 = self.encoder(x)
        p4 = self.lateral4(f4)
        p3 = self.top_down1(self.lateral3(f3) + _up(p4, 2))
        p2 = self.top_down2(self.lateral2(f2) + _up(p3, 2))
        p1 = self.top_down3(self.lateral1(f1) + _up(p2, 2))
        heads = [_up(head(level), factor) for head, level, factor
                 in zip(self.heads, (p1, p2, p3, p4), (1, 2, 4, 8))]
        y = self.smooth(torch.cat(heads[::-1], dim=1))
        y = self.smooth2(_up(y, 2) + self.lateral0(f0))
        y = self.final(_up(y, 2))
        return torch.clamp(torch.tanh(y) + x, -1.0, 1.0)
