"""Wraps a restoration network so that it takes and returns what the video pipeline carries:
uint8 RGB frames, N x H x W x 3, of any size. Padding to the network's size multiple and
cropping back, normalisation to the model's range, the NHWC <-> NCHW layout change, the
do-no-harm guards (models/guard.py: the output keeps the input's lowest frequencies;
models/sharp_gate.py: where the input is sharp it is given back unchanged), clamping
and rounding all run inside the module (on the device, and inside an exported graph), so the
host only moves uint8 bytes and every runtime accepts every frame size."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.guard import LowFrequencyGuard
from models.sharp_gate import SharpInputGate
from models.registry import ModelSpec


class FrameAdapter(nn.Module):
    def __init__(self, network: nn.Module, spec: ModelSpec, float_output: bool = False,
                 guard: bool = True):
        super().__init__()
        self.network = network
        # guard=False only to measure what the guards cost or save (deblur eval --guard-ablation)
        self.guard = LowFrequencyGuard() if guard else None
        self.gate = SharpInputGate(spec.input_range) if guard else None
        self.multiple = spec.pad_multiple
        # Unrounded [0, 1] output instead of uint8: lets export verification compare graphs
        # more finely than one uint8 step (1/255), which a rounding flip would exceed.
        self.float_output = float_output
        low, high = spec.input_range
        # Buffers, so that .half() / .to(device) move the constants with the network.
        self.register_buffer("step", torch.tensor((high - low) / 255.0), persistent=False)
        self.register_buffer("low", torch.tensor(low), persistent=False)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        height, width = frames.shape[1], frames.shape[2]
        x = frames.permute(0, 3, 1, 2).to(self.step.dtype) * self.step + self.low
        # Replicate (not reflect) padding: valid for every size, even a side of 1 pixel, and
        # the amounts stay symbolic in an exported graph.
        pad_h = (self.multiple - height % self.multiple) % self.multiple
        pad_w = (self.multiple - width % self.multiple) % self.multiple
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        y = self.network(x)
        if self.guard is not None:
            y = self.gate(self.guard(y, x), x)
        y = y[:, :, :height, :width]
        y = ((y - self.low) / self.step).clamp(0, 255)
        if self.float_output:
            return (y / 255).permute(0, 2, 3, 1)
        return y.round().to(torch.uint8).permute(0, 2, 3, 1)
