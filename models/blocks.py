"""Layers shared by the architectures: conv/norm/activation stacks, depthwise-separable convs,
MobileNetV2's inverted residual and MPRNet's channel attention."""
from __future__ import annotations

import torch
from torch import nn


def conv(in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, bias: bool = True,
         groups: int = 1) -> nn.Conv2d:
    """A 'same'-padded convolution (odd kernels)."""
    return nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=bias,
                     groups=groups)


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Normalisation without per-frame statistics at inference: BatchNorm uses running
    statistics in eval mode (folded into the conv at export) and 'none' is the identity.
    Instance/group norms are refused: they make a pixel depend on the whole frame, so tiles
    and whole frames would disagree."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unsupported norm {kind!r}: use 'batch' or 'none'")


class ConvNormAct(nn.Sequential):
    """conv -> norm -> activation, the unit most CNN layers are made of."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1,
                 groups: int = 1, norm: str = "batch", act: type[nn.Module] | None = nn.ReLU):
        layers: list[nn.Module] = [conv(in_ch, out_ch, kernel, stride, bias=norm == "none",
                                        groups=groups), norm_layer(norm, out_ch)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class SeparableConv(nn.Sequential):
    """Depthwise-separable replacement of a dense k x k conv: a per-channel k x k conv then a
    1 x 1 conv mixing channels (MobileNet-DSC). Costs C*k*k + C*C' instead of C*C'*k*k."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, bias: bool = True):
        super().__init__(conv(in_ch, in_ch, kernel, groups=in_ch, bias=False),
                         conv(in_ch, out_ch, 1, bias=bias))


def conv3x3(in_ch: int, out_ch: int, separable: bool, bias: bool = True) -> nn.Module:
    """The 3 x 3 conv of the FPN side of DeblurGAN-v2: dense, or depthwise-separable (DSC)."""
    return SeparableConv(in_ch, out_ch, 3, bias) if separable else conv(in_ch, out_ch, 3,
                                                                        bias=bias)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1 x 1 expansion, 3 x 3 depthwise (carries the stride), linear 1 x 1
    projection, and a residual connection when shape allows."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expand: int, norm: str = "batch"):
        super().__init__()
        hidden = in_ch * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvNormAct(in_ch, hidden, 1, norm=norm, act=nn.ReLU6))
        layers += [ConvNormAct(hidden, hidden, 3, stride, groups=hidden, norm=norm, act=nn.ReLU6),
                   ConvNormAct(hidden, out_ch, 1, norm=norm, act=None)]
        self.body = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.use_residual else self.body(x)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation style channel gate (MPRNet's CA layer): average over the
    spatial extent, a bottleneck of two 1 x 1 convs, a sigmoid that scales each channel."""

    def __init__(self, channels: int, reduction: int = 4, bias: bool = False):
        super().__init__()
        self.gate = nn.Sequential(conv(channels, channels // reduction, 1, bias=bias), nn.ReLU(),
                                  conv(channels // reduction, channels, 1, bias=bias),
                                  nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x.mean(dim=(2, 3), keepdim=True))


class ChannelAttentionBlock(nn.Module):
    """CAB: conv -> PReLU -> conv -> channel attention, plus the input."""

    def __init__(self, channels: int, kernel: int = 3, reduction: int = 4, bias: bool = False):
        super().__init__()
        self.body = nn.Sequential(conv(channels, channels, kernel, bias=bias), nn.PReLU(),
                                  conv(channels, channels, kernel, bias=bias))
        self.attention = ChannelAttention(channels, reduction, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.attention(self.body(x))
