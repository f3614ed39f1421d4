"""What each backend can be asked for beyond its device, as one small frozen object per backend
(the way vs-mlrt's Backend.TRT(fp16=...) / Backend.ORT_CPU(num_streams=...) do), gathered in
`BackendOptions` so that `auto` hands every candidate the options meant for it. The CLI
(app/commands/options.py) and the viewer's settings carry a BackendOptions to the Restorer."""
from __future__ import annotations

from dataclasses import dataclass, field

from export.engine_profile import Profile

PRECISIONS = ("fp32", "fp16")
TENSORRT_VIAS = ("onnx", "torch-tensorrt")


@dataclass(frozen=True)
class TorchOptions:
    precision: str | None = None   # None: fp16 on CUDA, fp32 on the CPU
    cuda_graphs: bool = True       # replay captured graphs per frame shape (CUDA only)
    guard: bool = True             # False only to measure the guards (exported graphs keep them)


@dataclass(frozen=True)
class OnnxRuntimeOptions:
    precision: str | None = None   # None: fp16 on CUDA, fp32 on the CPU
    threads: int | None = None     # CPU intra-op threads (None: the physical cores)


@dataclass(frozen=True)
class TensorRTOptions:
    profile: Profile | None = None   # None: what `deblur engine` last built, else the default
    via: str = "onnx"                # 'onnx' (TensorRT's parser) or 'torch-tensorrt'


@dataclass(frozen=True)
class BackendOptions:
    torch: TorchOptions = field(default_factory=TorchOptions)
    onnxruntime: OnnxRuntimeOptions = field(default_factory=OnnxRuntimeOptions)
    tensorrt: TensorRTOptions = field(default_factory=TensorRTOptions)

    def describe(self) -> str:
        """The options that differ from the defaults, for messages ('' when none do)."""
        default = BackendOptions()
        parts = [f"{name} {value}" for name in ("torch", "onnxruntime", "tensorrt")
                 if (value := getattr(self, name)) != getattr(default, name)]
        return "; ".join(parts)

    @classmethod
    def from_flags(cls, precision: str | None = None, cuda_graphs: bool = True,
                   threads: int | None = None, via: str = "onnx",
                   profile: Profile | None = None) -> BackendOptions:
        """One set of flags (the CLI's) spread over the backends they apply to."""
        return cls(TorchOptions(precision, cuda_graphs), OnnxRuntimeOptions(precision, threads),
                   TensorRTOptions(profile, via))
