"""The one interface every inference backend implements."""
from __future__ import annotations

from typing import Protocol

import numpy as np


class Backend(Protocol):
    name: str        # 'torch', 'onnxruntime', 'tensorrt'
    device: str      # 'cpu', 'cuda:0', ...
    precision: str   # 'fp32', 'fp16'

    def infer(self, frames: np.ndarray) -> np.ndarray:
        """Restore a batch: uint8 N x H x W x 3 RGB in (any size; the graph pads and crops),
        uint8 N x H x W x 3 out. Frames do not influence each other."""
        ...
