"""Restores frames of any size with one model on one backend (the backend's graph pads to the
model's multiple and crops back)."""
from __future__ import annotations

import numpy as np

import models
from engine.backends import Backend, create_backend


class Restorer:
    def __init__(self, model: str = "fast", backend: str = "torch", device: str | None = None):
        self.model = models.load(model, device="cpu")
        self.backend: Backend = create_backend(backend, self.model, device)

    @property
    def description(self) -> str:
        b = self.backend
        return f"{self.model.entry.name} on {b.name} ({b.device}, {b.precision})"

    def restore_batch(self, frames: np.ndarray) -> np.ndarray:
        """uint8 N x H x W x 3 RGB frames of one size -> restored frames of the same size."""
        return self.backend.infer(frames)

    def restore(self, frame: np.ndarray) -> np.ndarray:
        """One uint8 H x W x 3 RGB frame."""
        return self.restore_batch(frame[None])[0]
