"""Wraps a restoration network so that it takes and returns what the video pipeline carries:
uint8 RGB frames, N x H x W x 3. Normalisation to the model's range, the NHWC <-> NCHW layout
change, clamping and rounding run inside the module (on the device, and inside an exported
graph), so the host only moves uint8 bytes."""
from __future__ import annotations

import torch
from torch import nn

from models.registry import ModelSpec


class FrameAdapter(nn.Module):
    def __init__(self, network: nn.Module, spec: ModelSpec):
        super().__init__()
        self.network = network
        low, high = spec.input_range
        # Buffers, so that .half() / .to(device) move the constants with the network.
        self.register_buffer("step", torch.tensor((high - low) / 255.0), persistent=False)
        self.register_buffer("low", torch.tensor(low), persistent=False)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = frames.permute(0, 3, 1, 2).to(self.step.dtype) * self.step + self.low
        y = self.network(x)
        y = ((y - self.low) / self.step).clamp(0, 255).round()
        return y.to(torch.uint8).permute(0, 2, 3, 1)
