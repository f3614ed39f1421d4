"""MPRNet (Zamir et al., CVPR 2021), multi-stage progressive restoration for deblurring.

Stage 1 restores four quarter patches with a U-Net of channel attention blocks, stage 2 two
half patches, stage 3 the whole frame at full resolution (ORSNet: CAB groups without
downsampling). Supervised attention modules pass each stage's features on, gated by its own
restored image; cross-stage feature fusion feeds the previous stage's encoder/decoder features
into the next. Resampling is bilinear (no transposed convs). Images are in [0, 1], NCHW, with
height and width multiples of 8: each quarter patch is halved twice inside the U-Net.

The patch split is computed from the tensor's size (H // 2, W // 2) so an exported graph is
right at every size; the four patches of stage 1 and the two of stage 2 go through their
encoder as one batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.blocks import ChannelAttentionBlock as CAB
from models.blocks import conv


@dataclass(frozen=True)
class MPRNetConfig:
    n_feat: int = 96
    scale_unetfeats: int = 48
    scale_orsnetfeats: int = 32
    num_cab: int = 8
    kernel_size: int = 3
    reduction: int = 4
    bias: bool = False


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class DownSample(nn.Module):
    """Bilinear x0.5, then a 1 x 1 conv widening by `extra` channels."""

    def __init__(self, channels: int, extra: int):
        super().__init__()
        self.proj = conv(channels, channels + extra, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(_resize(x, 0.5))


class UpSample(nn.Module):
    """Bilinear x2, then a 1 x 1 conv narrowing `channels + extra` to `channels`."""

    def __init__(self, channels: int, extra: int):
        super().__init__()
        self.proj = conv(channels + extra, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(_resize(x, 2.0))


def _cabs(channels: int, count: int, c: MPRNetConfig) -> nn.Sequential:
    return nn.Sequential(*(CAB(channels, c.kernel_size, c.reduction, c.bias)
                           for _ in range(count)))


class Encoder(nn.Module):
    """Three levels of two CABs each; with `fuse`, the previous stage's encoder and decoder
    features are added at every level through 1 x 1 convs (cross-stage feature fusion)."""

    def __init__(self, c: MPRNetConfig, fuse: bool):
        super().__init__()
        widths = [c.n_feat + i * c.scale_unetfeats for i in range(3)]
        self.levels = nn.ModuleList(_cabs(w, 2, c) for w in widths)
        self.down = nn.ModuleList(DownSample(w, c.scale_unetfeats) for w in widths[:2])
        self.fuse_enc = nn.ModuleList(conv(w, w, 1, bias=c.bias) for w in widths) if fuse else None
        self.fuse_dec = nn.ModuleList(conv(w, w, 1, bias=c.bias) for w in widths) if fuse else None

    def forward(self, x: torch.Tensor, prev_enc: list[torch.Tensor] | None = None,
                prev_dec: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
        outs = []
        for i, level in enumerate(self.levels):
            if i > 0:
                x = self.down[i - 1](x)
            x = level(x)
            if self.fuse_enc is not None:
                x = x + self.fuse_enc[i](prev_enc[i]) + self.fuse_dec[i](prev_dec[i])
            outs.append(x)
        return outs


class Decoder(nn.Module):
    """Mirror of the encoder: bilinear upsampling joined with CAB-filtered skip features."""

    def __init__(self, c: MPRNetConfig):
        super().__init__()
        widths = [c.n_feat + i * c.scale_unetfeats for i in range(3)]
        self.levels = nn.ModuleList(_cabs(w, 2, c) for w in widths)
        self.skip_attention = nn.ModuleList(CAB(w, c.kernel_size, c.reduction, c.bias)
                                            for w in widths[:2])
        self.up = nn.ModuleList(UpSample(w, c.scale_unetfeats) for w in widths[:2])

    def forward(self, enc: list[torch.Tensor]) -> list[torch.Tensor]:
        dec3 = self.levels[2](enc[2])
        dec2 = self.levels[1](self.up[1](dec3) + self.skip_attention[1](enc[1]))
        dec1 = self.levels[0](self.up[0](dec2) + self.skip_attention[0](enc[0]))
        return [dec1, dec2, dec3]


class SupervisedAttention(nn.Module):
    """SAM: predicts the stage's restored image (residual on the stage input) and uses it to
    gate the features handed to the next stage."""

    def __init__(self, channels: int, kernel: int, bias: bool):
        super().__init__()
        self.features = conv(channels, channels, kernel, bias=bias)
        self.to_image = conv(channels, 3, kernel, bias=bias)
        self.from_image = conv(3, channels, kernel, bias=bias)

    def forward(self, x: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        restored = self.to_image(x) + image
        gate = torch.sigmoid(self.from_image(restored))
        return self.features(x) * gate + x, restored


class OriginalResolutionBlock(nn.Sequential):
    """ORB: a group of CABs and a conv, with a residual around them."""

    def __init__(self, channels: int, c: MPRNetConfig):
        super().__init__(*_cabs(channels, c.num_cab, c),
                         conv(channels, channels, c.kernel_size, bias=c.bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)


class ORSNet(nn.Module):
    """Stage 3: three ORBs at full resolution, each followed by the stage-2 encoder and decoder
    features of one level, brought up to full resolution and projected to this width."""

    def __init__(self, c: MPRNetConfig):
        super().__init__()
        width, n, s = c.n_feat + c.scale_orsnetfeats, c.n_feat, c.scale_unetfeats
        self.orbs = nn.ModuleList(OriginalResolutionBlock(width, c) for _ in range(3))

        def upsampler(level: int) -> nn.Module:
            # level 1 is at 1/2 resolution, level 2 at 1/4: one or two x2 steps down to n_feat.
            return nn.Sequential(*(UpSample(n + i * s, s) for i in reversed(range(level))))

        self.up_enc = nn.ModuleList(upsampler(level) for level in range(3))
        self.up_dec = nn.ModuleList(upsampler(level) for level in range(3))
        self.proj_enc = nn.ModuleList(conv(n, width, 1, bias=c.bias) for _ in range(3))
        self.proj_dec = nn.ModuleList(conv(n, width, 1, bias=c.bias) for _ in range(3))

    def forward(self, x: torch.Tensor, enc: list[torch.Tensor],
                dec: list[torch.Tensor]) -> torch.Tensor:
        for i, orb in enumerate(self.orbs):
            x = orb(x) + self.proj_enc[i](self.up_enc[i](enc[i])) \
                + self.proj_dec[i](self.up_dec[i](dec[i]))
        return x


def _split(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Halve along `dim` (2: height, 3: width) and stack the halves along the batch."""
    half = x.shape[dim] // 2
    return torch.cat([x.narrow(dim, 0, half), x.narrow(dim, half, x.shape[dim] - half)], dim=0)


def _merge(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Inverse of `_split`: put the two batch halves back side by side along `dim`."""
    first, second = x.chunk(2, dim=0)
    return torch.cat([first, second], dim=dim)


class MPRNet(nn.Module):
    def __init__(self, config: MPRNetConfig = MPRNetConfig()):
        super().__init__()
        c = config
        n, k = c.n_feat, c.kernel_size

        def shallow() -> nn.Module:
            return nn.Sequential(conv(3, n, k, bias=c.bias), CAB(n, k, c.reduction, c.bias))

        self.shallow1, self.shallow2, self.shallow3 = shallow(), shallow(), shallow()
        self.encoder1, self.decoder1 = Encoder(c, fuse=False), Decoder(c)
        self.encoder2, self.decoder2 = Encoder(c, fuse=True), Decoder(c)
        self.orsnet = ORSNet(c)
        self.sam12 = SupervisedAttention(n, 1, c.bias)
        self.sam23 = SupervisedAttention(n, 1, c.bias)
        self.concat12 = conv(2 * n, n, k, bias=c.bias)
        self.concat23 = conv(2 * n, n + c.scale_orsnetfeats, k, bias=c.bias)
        self.tail = conv(n + c.scale_orsnetfeats, 3, k, bias=c.bias)

    def forward_stages(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The restored image of each stage, last stage first (all supervised in training)."""
        # Batch layout: halves = [top; bottom], quarters = [top-left; bottom-left; top-right;
        # bottom-right], so splitting/merging along width pairs each top with its bottom.
        halves = _split(image, 2)
        quarters = _split(halves, 3)

        # Stage 1: four quarter patches; features of left/right neighbours joined per half.
        enc1 = [_merge(f, 3) for f in self.encoder1(self.shallow1(quarters))]
        dec1 = self.decoder1(enc1)
        features12, restored1 = self.sam12(dec1[0], halves)

        # Stage 2: the two halves, fused with stage 1; then joined into the whole frame.
        x2 = self.concat12(torch.cat([self.shallow2(halves), features12], dim=1))
        enc2 = [_merge(f, 2) for f in self.encoder2(x2, enc1, dec1)]
        dec2 = self.decoder2(enc2)
        features23, restored2 = self.sam23(dec2[0], image)

        # Stage 3: the whole frame at full resolution.
        x3 = self.concat23(torch.cat([self.shallow3(image), features23], dim=1))
        restored3 = self.tail(self.orsnet(x3, enc2, dec2)) + image
        return [restored3, restored2, _merge(restored1, 2)]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward_stages(image)[0]
