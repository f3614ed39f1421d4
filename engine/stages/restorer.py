"""Restores frames of any size with one model on one backend. The backend's graph pads to the
model's multiple and crops back; frames above the tiling limit go through engine.stages.tiling.
`RestorerSettings` is the whole choice (model, backend, device, tiling, backend options) as one
value that the CLI, the viewer and a batch job build a Restorer from."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import models
from engine.backends import Backend, create_backend
from engine.backends.options import BackendOptions
from engine.frames import Frame
from engine.stages.restore import RestoreStage
from engine.stages.tiling import TileOptions, restore_tiled


class Restorer:
    def __init__(self, model: str = "fast", backend: str = "torch", device: str | None = None,
                 tiles: TileOptions = TileOptions(), options: BackendOptions = BackendOptions()):
        self.model = models.load(model, device="cpu")
        self.backend: Backend = create_backend(backend, self.model, device, options)
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

    # A Restorer is also the pipeline's restoration stage (engine.stages).
    def push(self, frames: list[Frame]) -> list[Frame]:
        return RestoreStage(self).push(frames)

    def flush(self) -> list[Frame]:
        return []


@dataclass(frozen=True)
class RestorerSettings:
    model: str = "fast"
    backend: str = "auto"
    device: str | None = None
    tiles: TileOptions = TileOptions()
    options: BackendOptions = field(default_factory=BackendOptions)

    def build(self) -> Restorer:
        return Restorer(self.model, self.backend, self.device, self.tiles, self.options)
