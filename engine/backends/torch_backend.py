"""PyTorch backend: the model wrapped in FrameAdapter, run in inference mode."""
from __future__ import annotations

import numpy as np
import torch

from models import LoadedModel
from models.frame_adapter import FrameAdapter


class TorchBackend:
    name = "torch"

    def __init__(self, model: LoadedModel, device: str | None = None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.precision = "fp32"
        self.adapter = FrameAdapter(model.module, model.spec).to(self.device).eval()

    @torch.inference_mode()
    def infer(self, frames: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)
        return self.adapter(batch).contiguous().cpu().numpy()
