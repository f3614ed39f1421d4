"""Inference backends by name. Each takes uint8 N x H x W x 3 frames and returns the same.

`auto` tries them fastest first — tensorrt (CUDA), torch on CUDA, onnxruntime, torch on the
CPU — and takes the first that can run here; the backend it returns lists in `auto_skipped` what was passed over and why."""
from __future__ import annotations

from engine.backends.base import Backend
from engine.backends.options import BackendOptions
from engine.backends.onnxruntime_backend import OnnxRuntimeBackend
from engine.backends.tensorrt_backend import TensorRTBackend
from engine.backends.torch_backend import TorchBackend
from engine.errors import BackendUnavailable
from models import LoadedModel

BACKENDS = {"torch": TorchBackend, "onnxruntime": OnnxRuntimeBackend,
            "tensorrt": TensorRTBackend}
AUTO = "auto"
# (backend, device) in the order `auto` tries them; None lets the backend pick its device.
AUTO_ORDER = (("tensorrt", "cuda"), ("torch", "cuda"), ("onnxruntime", None), ("torch", "cpu"))


def backend_choices() -> list[str]:
    return [AUTO, *sorted(BACKENDS)]


def create_backend(name: str, model: LoadedModel, device: str | None = None,
                   options: BackendOptions = BackendOptions()) -> Backend:
    """The backend `name` on `device`, built with the options `options` holds for it."""
    if name == AUTO:
        return _create_auto(model, device, options)
    if name not in BACKENDS:
        raise BackendUnavailable(f"unknown backend {name!r}; available: "
                                 f"{', '.join(backend_choices())}")
    return BACKENDS[name](model, device, getattr(options, name))


def _create_auto(model: LoadedModel, device: str | None, options: BackendOptions) -> Backend:
    skipped = []
    for name, preferred_device in AUTO_ORDER:
        if name not in BACKENDS:
            continue
        wanted = device or preferred_device
        if device and preferred_device and not device.startswith(preferred_device):
            continue          # the user named a device this candidate does not run on
        reason = BACKENDS[name].available(wanted or "cpu")
        if reason is None:
            try:
                backend = BACKENDS[name](model, wanted, getattr(options, name))
            except BackendUnavailable as exc:
                reason = str(exc)
            else:
                backend.auto_skipped = tuple(skipped)
                return backend
        skipped.append(f"{name}{f' ({wanted})' if wanted else ''}: {reason}")
    raise BackendUnavailable("no backend can run here: " + "; ".join(skipped))


__all__ = ["AUTO", "BACKENDS", "Backend", "BackendOptions", "backend_choices", "create_backend"]
