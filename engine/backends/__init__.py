"""Inference backends by name. Each takes uint8 N x H x W x 3 frames and returns the same."""
from __future__ import annotations

from engine.backends.base import Backend
from engine.backends.torch_backend import TorchBackend
from engine.errors import BackendUnavailable
from models import LoadedModel

BACKENDS = {"torch": TorchBackend}


def create_backend(name: str, model: LoadedModel, device: str | None = None) -> Backend:
    if name not in BACKENDS:
        raise BackendUnavailable(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    return BACKENDS[name](model, device)


__all__ = ["BACKENDS", "Backend", "create_backend"]
