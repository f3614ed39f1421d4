"""The alternative path to a TensorRT engine: torch-tensorrt compiles the fp16 FrameAdapter
module straight from PyTorch (torch.export, no ONNX), cached like the ONNX engines.

Precision comes from the module (.half()) with explicit typing, the only typing TensorRT 11
has (torch-tensorrt deprecates `enabled_precisions` for the same reason). The compiled program
is saved as an ExportedProgram; loading it needs torch_tensorrt imported (its runtime ops).
"""
from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from export.engine_cache import EngineCache, EngineKey
from export.engine_profile import Profile
from export.errors import TensorRTUnavailable
from export.onnx_export import frame_module
from export.tensorrt_build import ENGINE_PRECISION, gpu_identity, require_tensorrt
from models import LoadedModel

TORCH_TENSORRT_HINT = ("torch-tensorrt is not importable: pip install .[tensorrt] on an "
                       "NVIDIA machine")


def import_torch_tensorrt() -> ModuleType:
    try:
        import torch_tensorrt
    except (ImportError, OSError):
        raise TensorRTUnavailable(TORCH_TENSORRT_HINT) from None
    return torch_tensorrt


def compile_program(model: LoadedModel, profile: Profile, device: str) -> bytes:
    """The saved ExportedProgram of the fp16 module compiled for `profile`."""
    ttrt = import_torch_tensorrt()
    module = frame_module(model, "fp16").to(device)
    inputs = [ttrt.Input(min_shape=profile.min, opt_shape=profile.opt, max_shape=profile.max,
                         dtype=torch.uint8)]
    compiled = ttrt.compile(module, ir="dynamo", arg_inputs=inputs, use_explicit_typing=True,
                            min_block_size=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.ep"
        # Input objects (not tensors) so the saved program keeps the dynamic dimensions.
        ttrt.save(compiled, str(path), output_format="exported_program", arg_inputs=inputs)
        return path.read_bytes()


def load_program(data: bytes) -> nn.Module | None:
    import_torch_tensorrt()   # registers the TensorRT runtime ops the program calls
    return torch.export.load(io.BytesIO(data)).module()


def load_or_compile_program(model: LoadedModel, profile: Profile, device: str = "cuda",
                            log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                            cache: EngineCache | None = None) -> tuple[nn.Module, EngineKey, str]:
    """The compiled module for `profile` on `device` (cached), its key and how it was got."""
    trt = require_tensorrt(device)
    ttrt = import_torch_tensorrt()
    cache = cache or EngineCache()
    gpu_name, cc = gpu_identity(device)
    key = EngineKey(model.entry.name, "torch-tensorrt", str(model.card.get("sha256")),
                    f"{trt.__version__} / torch-tensorrt {ttrt.__version__}", gpu_name, cc,
                    ENGINE_PRECISION, profile)
    with torch.cuda.device(device):
        module, status = cache.load_or_build(
            key, build=lambda: compile_program(model, profile, device),
            deserialize=load_program, log=log)
    return module, key, status
