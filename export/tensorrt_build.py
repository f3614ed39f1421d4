"""FP16 TensorRT engines from our ONNX exports, with NVIDIA's TensorRT Python API, cached by
export.engine_cache.

TensorRT 10 parses the fp32 graph and is allowed FP16 kernels with BuilderFlag.FP16 (weak
typing). TensorRT 11 removed that flag and builds strongly typed networks only (the type of
every tensor comes from the graph), so it parses the fp16 graph. Both use one optimisation
profile over the input's N x H x W x 3 and a timing cache kept per TensorRT version and GPU.
Needs `tensorrt` (the `tensorrt` extra) and a CUDA GPU; without them every entry point raises
TensorRTUnavailable with the install hint, which the CLI prints as one line.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from common.atomic import write_bytes_atomic
from export.engine_cache import EngineCache, EngineKey
from export.engine_profile import Profile
from export.errors import ExportError, TensorRTUnavailable
from export.onnx_artifact import cached_onnx
from export.onnx_export import INPUT_NAME
from models import LoadedModel
from models.registry import sha256_of

TENSORRT_HINT = "tensorrt is not importable: pip install .[tensorrt] on an NVIDIA machine"
ENGINE_PRECISION = "fp16"


def import_tensorrt() -> ModuleType:
    try:
        import tensorrt
    except (ImportError, OSError):   # OSError: the wheel is there but its libraries are not
        raise TensorRTUnavailable(TENSORRT_HINT) from None
    return tensorrt


def cuda_missing(device: str) -> str | None:
    """Why `device` cannot run TensorRT (None when it can)."""
    if not device.startswith("cuda"):
        return f"TensorRT runs on CUDA GPUs, not on {device!r}"
    if not torch.cuda.is_available():
        return "PyTorch sees no CUDA GPU, which TensorRT needs"
    return None


def tensorrt_missing(device: str = "cuda") -> str | None:
    """None when TensorRT can build and run engines on `device`, else the reason in a line."""
    try:
        import_tensorrt()
    except TensorRTUnavailable as exc:
        return str(exc)
    return cuda_missing(device)


def require_tensorrt(device: str) -> ModuleType:
    trt = import_tensorrt()
    reason = cuda_missing(device)
    if reason:
        raise TensorRTUnavailable(reason)
    return trt


def gpu_identity(device: str) -> tuple[str, str]:
    """The GPU's name and compute capability ('8.9'), both part of an engine's key."""
    major, minor = torch.cuda.get_device_capability(device)
    return torch.cuda.get_device_name(device), f"{major}.{minor}"


def major_version(trt: ModuleType) -> int:
    return int(trt.__version__.split(".")[0])


def graph_precision(trt: ModuleType) -> str:
    """Which ONNX export the builder parses: the fp16 graph where typing is strong-only."""
    return "fp16" if major_version(trt) >= 11 else "fp32"


def build_serialized(trt: ModuleType, onnx_path: Path, profile: Profile,
                     timing_cache: Path) -> bytes:
    """Parse the ONNX file and build a serialized FP16 engine for `profile`."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    # Flags 0: explicit batch is the only mode since TensorRT 10, strong typing the only mode
    # in 11 (its STRONGLY_TYPED flag is deprecated and ignored there).
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise ExportError(f"TensorRT cannot parse {onnx_path.name}: "
                          f"{errors[0] if errors else 'no error given'}")
    config = builder.create_builder_config()
    if major_version(trt) < 11:
        config.set_flag(trt.BuilderFlag.FP16)
    shapes = builder.create_optimization_profile()
    shapes.set_shape(INPUT_NAME, profile.min, profile.opt, profile.max)
    config.add_optimization_profile(shapes)
    cache = _timing_cache(config, timing_cache)
    config.set_timing_cache(cache, ignore_mismatch=False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ExportError(f"TensorRT could not build an engine from {onnx_path.name} "
                          f"({profile.describe()}); see its log above")
    write_bytes_atomic(timing_cache, bytes(cache.serialize()))   # now with this build's timings
    return bytes(serialized)


def _timing_cache(config: Any, path: Path) -> Any:
    """The stored timing cache, or an empty one when there is none or it cannot be read."""
    try:
        return config.create_timing_cache(path.read_bytes())
    except Exception:   # noqa: BLE001 - missing or unreadable: time the layers afresh
        return config.create_timing_cache(b"")


@dataclass
class Engine:
    """A deserialised engine with the runtime that owns it and the key it was built for."""
    runtime: Any
    engine: Any
    key: EngineKey
    path: Path
    status: str   # 'cached' or 'built (<why>)'


def load_or_build_engine(model: LoadedModel, profile: Profile, device: str = "cuda",
                         log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                         cache: EngineCache | None = None) -> Engine:
    """The FP16 engine of `model` for `profile` on `device`, from the cache or built now."""
    trt = require_tensorrt(device)
    cache = cache or EngineCache()
    onnx_path = cached_onnx(model, graph_precision(trt), log)
    gpu_name, cc = gpu_identity(device)
    key = EngineKey(model.entry.name, "onnx", sha256_of(onnx_path), trt.__version__, gpu_name,
                    cc, ENGINE_PRECISION, profile)
    runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
    with torch.cuda.device(device):
        engine, status = cache.load_or_build(
            key,
            build=lambda: build_serialized(trt, onnx_path, profile,
                                           cache.timing_cache_path(trt.__version__, gpu_name, cc)),
            deserialize=runtime.deserialize_cuda_engine, log=log)
    return Engine(runtime, engine, key, cache.engine_path(key), status)
