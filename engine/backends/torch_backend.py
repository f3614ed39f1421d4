"""PyTorch backend: the model wrapped in FrameAdapter (padding, normalisation and layout on the
device). CPU runs fp32. CUDA runs fp16 in channels_last and, by default, replays a CUDA graph
captured once per frame shape, so a frame costs one host->device copy, one graph launch and one
device->host copy."""
from __future__ import annotations

import copy

import numpy as np
import torch

from engine.backends.options import TorchOptions
from engine.errors import BackendUnavailable
from models import LoadedModel
from models.frame_adapter import FrameAdapter

# Graphs kept per (N, H, W); a viewer resizing through many sizes must not pin all of them.
_MAX_GRAPHS = 4


class TorchBackend:
    name = "torch"

    def __init__(self, model: LoadedModel, device: str | None = None,
                 options: TorchOptions = TorchOptions()):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        on_cuda = self.device.startswith("cuda")
        if on_cuda and not torch.cuda.is_available():
            raise BackendUnavailable(f"torch: device {self.device!r} requested but this PyTorch "
                                     "sees no CUDA GPU; use --device cpu")
        self.precision = options.precision or ("fp16" if on_cuda else "fp32")
        if self.precision == "fp16" and not on_cuda:
            raise BackendUnavailable("torch: fp16 needs a CUDA device; use fp32 on the CPU")
        network = model.module
        if self.precision == "fp16":
            network = copy.deepcopy(network).half()   # the caller's module stays fp32
        adapter = FrameAdapter(network, model.spec, guard=options.guard).eval()
        if self.precision == "fp16":
            adapter = adapter.half()
        self.adapter = adapter.to(self.device, memory_format=torch.channels_last)
        self.cuda_graphs = options.cuda_graphs and on_cuda
        self._graphs: dict[tuple[int, ...], _CapturedGraph] = {}

    @staticmethod
    def available(device: str = "cpu") -> str | None:
        """None when this backend can run on `device`, else the reason it cannot."""
        if device.startswith("cuda") and not torch.cuda.is_available():
            return "PyTorch sees no CUDA GPU"
        return None

    @torch.inference_mode()
    def infer(self, frames: np.ndarray) -> np.ndarray:
        if self.cuda_graphs:
            return self._graph_for(frames.shape).run(frames)
        batch = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)
        return self.adapter(batch).cpu().numpy()

    def _graph_for(self, shape: tuple[int, ...]) -> _CapturedGraph:
        graph = self._graphs.pop(shape, None)
        if graph is None:
            if len(self._graphs) >= _MAX_GRAPHS:
                self._graphs.pop(next(iter(self._graphs)))   # the least recently used
            graph = _CapturedGraph(self.adapter, shape, self.device)
        self._graphs[shape] = graph   # re-inserted: most recently used last
        return graph


class _CapturedGraph:
    """One CUDA graph of the adapter for one input shape, with its static device buffers and a
    pinned host buffer for the result."""

    def __init__(self, adapter: torch.nn.Module, shape: tuple[int, ...], device: str):
        self.input = torch.zeros(shape, dtype=torch.uint8, device=device)
        self.host_output = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        # Warm-up on a side stream as the CUDA graphs documentation requires (cuDNN picks its
        # algorithms here, not during capture).
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(3):
                adapter(self.input)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = adapter(self.input)

    def run(self, frames: np.ndarray) -> np.ndarray:
        self.input.copy_(torch.from_numpy(np.ascontiguousarray(frames)), non_blocking=True)
        self.graph.replay()
        self.host_output.copy_(self.output, non_blocking=True)
        torch.cuda.current_stream(self.input.device).synchronize()
        # A copy: the pinned buffer is overwritten by the next frame of this shape.
        return self.host_output.numpy().copy()
