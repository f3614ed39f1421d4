"""ONNX Runtime backend: the model's verified ONNX export (made on first use into the user's
cache, see export.onnx_artifact) in an ORT session. CUDA execution provider (fp16 graph) where
this onnxruntime has one, else the CPU provider (fp32 graph) with one intra-op thread per
physical core, sequential execution and every graph optimisation. uint8 frames are bound
straight to the session's input, and the output is written into the array that is returned."""
from __future__ import annotations

import os
import sys

import numpy as np
import onnxruntime as ort
import psutil

from engine.backends.options import OnnxRuntimeOptions
from engine.errors import BackendUnavailable, InputError
from export.onnx_artifact import cached_onnx
from export.onnx_export import INPUT_NAME, OUTPUT_NAME
from models import LoadedModel

_CUDA_EP = "CUDAExecutionProvider"


def physical_cores() -> int:
    """Physical cores this process may use: hyperthreads share a core's arithmetic units, so
    more threads than cores only add contention to convolution-bound work."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(psutil.cpu_count(logical=False) or usable or 1, usable or 1))


def _session_options(on_cuda: bool, threads: int | None) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL   # one chain of convolutions
    options.log_severity_level = 3
    if not on_cuda:
        options.intra_op_num_threads = threads or physical_cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxRuntimeBackend:
    name = "onnxruntime"

    def __init__(self, model: LoadedModel, device: str | None = None,
                 options: OnnxRuntimeOptions = OnnxRuntimeOptions()):
        self.device = device or ("cuda" if _CUDA_EP in ort.get_available_providers() else "cpu")
        reason = self.available(self.device)
        if reason:
            raise BackendUnavailable(f"onnxruntime: {reason}")
        on_cuda = self.device.startswith("cuda")
        self.precision = options.precision or ("fp16" if on_cuda else "fp32")
        if self.precision == "fp16" and not on_cuda:
            raise BackendUnavailable("onnxruntime: fp16 is for CUDA; the CPU runs fp32")
        if on_cuda:
            index = int(self.device.partition(":")[2] or 0)
            providers = [(_CUDA_EP, {"device_id": index}), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        graph = cached_onnx(model, self.precision,
                            lambda message: print(f"deblur: onnxruntime: {message}",
                                                  file=sys.stderr))
        self.session = ort.InferenceSession(str(graph), _session_options(on_cuda, options.threads),
                                            providers=providers)
        self._binding = self.session.io_binding()
        self.channels = model.spec.in_channels     # 3, or a helper network's inputs

    @staticmethod
    def available(device: str = "cpu") -> str | None:
        """None when this backend can run on `device`, else the reason it cannot."""
        if device.startswith("cuda"):
            if _CUDA_EP not in ort.get_available_providers():
                return ("this onnxruntime has no CUDA execution provider "
                        "(pip install onnxruntime-gpu, or use --device cpu)")
            return None
        return None if device == "cpu" else f"unknown device {device!r} (cpu or cuda[:N])"

    def infer(self, frames: np.ndarray) -> np.ndarray:
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != self.channels:
            raise InputError(f"onnxruntime: expected uint8 N x H x W x {self.channels} frames, "
                             f"got {frames.dtype} {frames.shape}")
        frames = np.ascontiguousarray(frames)
        restored = np.empty((*frames.shape[:3], 3), np.uint8)
        self._binding.bind_cpu_input(INPUT_NAME, frames)
        self._binding.bind_output(OUTPUT_NAME, "cpu", element_type=np.uint8,
                                  shape=restored.shape, buffer_ptr=restored.ctypes.data)
        self.session.run_with_iobinding(self._binding)
        return restored
