"""The VGG19 perceptual term of DeblurGAN-v2 (distance between conv3_3 features). No weights
can be downloaded here, so it is used only when the user passes a VGG19 weights file
(torchvision's layout: features.N.weight / features.N.bias; .safetensors or .pth)."""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

# VGG19 'features' up to relu3_3 (conv1_1 ... conv3_3), torchvision indices 0..15.
_LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256]
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class VGGPerceptual(nn.Module):
    def __init__(self, weights: Path):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in _LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
                channels = item
        self.features = nn.Sequential(*layers)
        weights = Path(weights)
        state = load_file(str(weights)) if weights.suffix == ".safetensors" else \
            torch.load(weights, map_location="cpu", weights_only=True)
        prefix = "features."
        own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)
               and int(k.split(".")[1]) < len(self.features)}
        self.features.load_state_dict(own)
        self.requires_grad_(False).eval()
        self.register_buffer("mean", torch.tensor(_MEAN)[None, :, None, None])
        self.register_buffer("std", torch.tensor(_STD)[None, :, None, None])

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Both in [0, 1]: mean squared distance of their conv3_3 features."""
        f = self.features((torch.cat([pred, target]) - self.mean) / self.std)
        fp, ft = f.chunk(2)
        return ((fp - ft) ** 2).mean()
