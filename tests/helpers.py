"""Helpers shared by the tests."""
from collections.abc import Callable

import torch
from torch import nn


def random_model(construct: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    """A seeded, randomly initialised model in eval mode, with non-trivial BatchNorm running
    statistics so that eval-mode normalisation is not the identity."""
    torch.manual_seed(seed)
    module = construct()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    return module.eval()
