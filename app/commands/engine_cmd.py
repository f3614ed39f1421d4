"""`deblur engine --model fast|quality [--size WxH ... | --min WxH --opt WxH --max WxH]
[--batch N] [--via onnx|torch-tensorrt]`: build (or find in the cache) the model's FP16
TensorRT engine for a range of frame sizes. Without tensorrt or a CUDA GPU it says so in one
line and exits 2."""
from __future__ import annotations

import argparse
import sys

import models
from export.engine_cache import EngineCache
from export.engine_profile import DEFAULT_PROFILE, profile_from_options
from export.tensorrt_build import load_or_build_engine, require_tensorrt
from export.torch_tensorrt_build import import_torch_tensorrt, load_or_compile_program


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "engine", help="build the model's FP16 TensorRT engine (cached per GPU and profile)")
    parser.add_argument("--model", default="fast", help="fast, quality or a full model name")
    parser.add_argument("--size", nargs="+", metavar="WxH",
                        help="frame sizes to serve: the profile spans them, opt is the first")
    parser.add_argument("--min", dest="min_size", metavar="WxH")
    parser.add_argument("--opt", dest="opt_size", metavar="WxH")
    parser.add_argument("--max", dest="max_size", metavar="WxH")
    parser.add_argument("--batch", type=int, default=1, help="largest batch (default 1)")
    parser.add_argument("--via", choices=("onnx", "torch-tensorrt"), default="onnx",
                        help="TensorRT's ONNX parser on our export (default), or torch-tensorrt")
    parser.add_argument("--device", default="cuda", help="cuda or cuda:N")
    parser.set_defaults(run=run)
    parser.epilog = f"Default profile: {DEFAULT_PROFILE.describe()}."


def run(args: argparse.Namespace) -> int:
    profile = profile_from_options(args.size, args.min_size, args.opt_size, args.max_size,
                                   args.batch)
    require_tensorrt(args.device)   # one line and exit 2 before anything slow
    if args.via == "torch-tensorrt":
        import_torch_tensorrt()
    model = models.load(args.model)
    print(f"{model.entry.name}: FP16 TensorRT engine via {args.via}, {profile.describe()}",
          file=sys.stderr)

    def log(message: str) -> None:
        print(f"deblur: {message}", file=sys.stderr)

    if args.via == "onnx":
        built = load_or_build_engine(model, profile, args.device, log)
        key, status = built.key, built.status
    else:
        _, key, status = load_or_compile_program(model, profile, args.device, log)
    EngineCache().remember_profile(model.entry.name, profile)
    print(f"{status}: {EngineCache().engine_path(key)}")
    print(f"  the tensorrt backend now builds/loads {model.entry.name} for this profile")
    print(f"  TensorRT {key.tensorrt_version} on {key.gpu_name} (compute {key.compute_capability}),"
          f" {key.precision}, source sha256 {key.source_sha256[:16]}")
    return 0
