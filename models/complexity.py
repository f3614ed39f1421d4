"""Size and cost of a model: parameters, and multiply-accumulates for one frame counted on the
meta device (shapes only, no memory, no arithmetic) with PyTorch's own FLOP counter."""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from models.registry import ModelEntry


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def entry_parameters(entry: ModelEntry) -> int:
    """Parameters of a registered architecture, built on the meta device (no memory)."""
    with torch.device("meta"):
        return count_parameters(entry.construct())


def padded_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """The size the engine runs a frame at: each side rounded up to the model's multiple."""
    return -(-width // multiple) * multiple, -(-height // multiple) * multiple


def count_macs(entry: ModelEntry, width: int, height: int) -> int:
    """MACs of one forward pass on a width x height frame, padded as the engine pads it."""
    w, h = padded_size(width, height, entry.spec.pad_multiple)
    with torch.device("meta"):
        module = entry.construct().eval()
        frame = torch.empty(1, entry.spec.in_channels, h, w)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(frame)
    return counter.get_total_flops() // 2
