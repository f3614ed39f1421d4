"""The do-no-harm guard on every restored frame. Motion blur averages the scene along a path,
so it keeps a frame's mean colour and its lowest spatial frequencies: a restored frame must
keep them too. The guard replaces the output's very low frequencies (a low-pass at a scale
well above the longest blur: a 16-pixel box, then a Gaussian of 2 box cells, about 33 px in
all) with the input's. It is plain tensor arithmetic, so it runs inside the exported graph on
every backend, and it is local (no frame statistics), so tiles and batches agree."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BOX = 16          # pixels per cell of the coarse grid
CELL_SIGMA = 2.0  # Gaussian over cells: ~32 px at full resolution
RADIUS = 4        # cells either side (2 sigma)


def _gaussian_taps() -> torch.Tensor:
    x = torch.arange(-RADIUS, RADIUS + 1, dtype=torch.float32)
    taps = torch.exp(-0.5 * (x / CELL_SIGMA) ** 2)
    return taps / taps.sum()


class LowFrequencyGuard(nn.Module):
    """guard(output, source) = output + lowpass(source - output), NCHW float tensors of the
    same shape (any size: the coarse grid is padded by replication and cropped back)."""

    def __init__(self, channels: int = 3):
        super().__init__()
        taps = _gaussian_taps()
        self.channels = channels
        self.register_buffer("taps_x", taps.view(1, 1, 1, -1).repeat(channels, 1, 1, 1),
                             persistent=False)
        self.register_buffer("taps_y", taps.view(1, 1, -1, 1).repeat(channels, 1, 1, 1),
                             persistent=False)

    def lowpass(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2], x.shape[-1]
        pad_h = (BOX - height % BOX) % BOX
        pad_w = (BOX - width % BOX) % BOX
        coarse = F.avg_pool2d(F.pad(x, (0, pad_w, 0, pad_h), mode="replicate"), BOX)
        coarse = F.pad(coarse, (RADIUS, RADIUS, 0, 0), mode="replicate")
        coarse = F.conv2d(coarse, self.taps_x.to(x.dtype), groups=self.channels)
        coarse = F.pad(coarse, (0, 0, RADIUS, RADIUS), mode="replicate")
        coarse = F.conv2d(coarse, self.taps_y.to(x.dtype), groups=self.channels)
        # Cell centres sit at (BOX-1)/2 + BOX*k: bilinear resizing with align_corners=False
        # maps them back onto the padded frame, which is then cropped.
        fine = F.interpolate(coarse, scale_factor=BOX, mode="bilinear", align_corners=False)
        return fine[..., :height, :width]

    def forward(self, output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        return output + self.lowpass(source - output)
