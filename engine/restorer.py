"""Restores frames of any size with one model on one backend. The backend's graph pads to the
model's multiple and crops back; frames above the tiling limit go through engine.tiling."""
from __future__ import annotations

import numpy as np

import models
from engine.backends import Backend, create_backend
from engine.tiling import TileOptions, restore_tiled


class Restorer:
    def __init__(self, model: str = "fast", backend: str = "torch", device: str | None = None,
                 tiles: TileOptions = TileOptions()):
        self.model = models.load(model, device="cpu")
        self.backend: Backend = create_backend(backend, self.model, device)
        self.tiles = tiles

    @property
    def description(self) -> str:
        b = self.backend
        return f"{self.model.entry.name} on {b.name} ({b.device}, {b.precision})"

    def restore_batch(self, frames: np.ndarray) -> np.ndarray:
        """uint8 N x H x W x 3 RGB frames of one size -> restored frames of the same size."""
        if not self.tiles.wanted(*frames.shape[1:3]):
            return self.backend.infer(frames)
        align = self.model.spec.pad_multiple
        out = np.empty_like(frames)   # written tile band by tile band: no copy at the end
        for frame, restored in zip(frames, out):
            restore_tiled(self.backend.infer, frame, self.tiles, align, out=restored)
        return out

    def restore(self, frame: np.ndarray) -> np.ndarray:
        """One uint8 H x W x 3 RGB frame."""
        return self.restore_batch(frame[None])[0]
