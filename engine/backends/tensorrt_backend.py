"""TensorRT backend: an FP16 engine built from the model's ONNX export (or compiled with
torch-tensorrt, `via="torch-tensorrt"`) and cached by export/, run on a CUDA stream.

Per frame shape the runner sets the input shape once and keeps device buffers (torch CUDA
tensors whose addresses the context holds) and pinned host buffers; a frame then costs a copy
in, execute_async_v3 and a copy out on the same stream. Frames outside the engine's profile
are refused with the command that builds one covering them."""
from __future__ import annotations

import sys

import numpy as np
import torch

from engine.backends.options import TENSORRT_VIAS, TensorRTOptions
from engine.errors import BackendUnavailable, InputError
from export.engine_cache import EngineCache
from export.engine_profile import DEFAULT_PROFILE
from export.errors import TensorRTUnavailable
from export.onnx_export import INPUT_NAME, OUTPUT_NAME
from export.tensorrt_build import Engine, load_or_build_engine, tensorrt_missing
from export.torch_tensorrt_build import load_or_compile_program
from models import LoadedModel



def _log(message: str) -> None:
    print(f"deblur: tensorrt: {message}", file=sys.stderr)


class TensorRTBackend:
    name = "tensorrt"

    def __init__(self, model: LoadedModel, device: str | None = None,
                 options: TensorRTOptions = TensorRTOptions()):
        """`options.profile`: the frame shapes to build for; by default the one `deblur
        engine` last built for this model, else DEFAULT_PROFILE."""
        profile, via = options.profile, options.via
        self.device = device or "cuda"
        self.precision = "fp16"
        reason = self.available(self.device)
        if reason:
            raise BackendUnavailable(f"tensorrt: {reason}")
        if via not in TENSORRT_VIAS:
            raise BackendUnavailable(f"tensorrt: unknown path {via!r}; one of "
                                     f"{', '.join(TENSORRT_VIAS)}")
        self.profile = (profile or EngineCache().remembered_profile(model.entry.name)
                        or DEFAULT_PROFILE)
        try:
            if via == "onnx":
                built = load_or_build_engine(model, self.profile, self.device, _log)
                self._run = _EngineRunner(built, self.device)
            else:
                module, _, _ = load_or_compile_program(model, self.profile, self.device, _log)
                self._run = _ModuleRunner(module, self.device)
        except TensorRTUnavailable as exc:
            raise BackendUnavailable(f"tensorrt: {exc}") from None

    @staticmethod
    def available(device: str = "cuda") -> str | None:
        """None when TensorRT can run on `device` here, else the reason (with the install
        hint when the tensorrt package is missing)."""
        return tensorrt_missing(device)

    def infer(self, frames: np.ndarray) -> np.ndarray:
        most = self.profile.max[0]
        if len(frames) > most:   # more frames than the profile's batch: run them in slices
            return np.concatenate([self.infer(frames[i:i + most])
                                   for i in range(0, len(frames), most)])
        if frames.dtype != np.uint8 or not self.profile.covers(frames.shape) \
                or frames.shape[3] != 3:
            raise InputError(f"tensorrt: {frames.dtype} frames of shape {tuple(frames.shape)} "
                             f"are outside the engine's profile ({self.profile.describe()}); "
                             "build one that covers them: deblur engine --size WxH ...")
        return self._run(np.ascontiguousarray(frames))


class _EngineRunner:
    def __init__(self, built: Engine, device: str):
        self.built = built   # keeps the runtime alive as long as its engine
        self.context = built.engine.create_execution_context()
        self.device = torch.device(device)
        self.stream = torch.cuda.Stream(self.device)
        self.shape: tuple[int, ...] | None = None

    def _bind(self, shape: tuple[int, ...]) -> None:
        """Buffers for a new frame shape; reused for every later frame of that shape."""
        self.input = torch.empty(shape, dtype=torch.uint8, device=self.device)
        self.output = torch.empty_like(self.input)
        self.host_input = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        self.host_output = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        if not self.context.set_input_shape(INPUT_NAME, shape):
            raise InputError(f"tensorrt: the engine refuses input shape {shape}")
        self.context.set_tensor_address(INPUT_NAME, self.input.data_ptr())
        self.context.set_tensor_address(OUTPUT_NAME, self.output.data_ptr())
        self.shape = shape

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if frames.shape != self.shape:
            self._bind(frames.shape)
        self.host_input.numpy()[...] = frames
        with torch.cuda.stream(self.stream):
            self.input.copy_(self.host_input, non_blocking=True)
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError("TensorRT execute_async_v3 failed; see its log")
            self.host_output.copy_(self.output, non_blocking=True)
        self.stream.synchronize()
        # A copy: the pinned buffer is overwritten by the next frame of this shape.
        return self.host_output.numpy().copy()


class _ModuleRunner:
    """A torch-tensorrt compiled module; it allocates its own outputs."""

    def __init__(self, module: torch.nn.Module, device: str):
        self.module, self.device = module, torch.device(device)

    @torch.inference_mode()
    def __call__(self, frames: np.ndarray) -> np.ndarray:
        return self.module(torch.from_numpy(frames).to(self.device)).cpu().numpy()
