"""Command-line options shared by every command that restores frames: model, backend, device
and tiling, and the Restorer they describe (frame sizes: common.sizes)."""
from __future__ import annotations

import argparse
import sys

from engine.backends import AUTO, backend_choices
from engine.backends.options import PRECISIONS, TENSORRT_VIAS, BackendOptions
from engine.errors import InputError
from engine.stages.restorer import Restorer, RestorerSettings
from engine.stages.temporal import DEFAULT_WINDOW, runs_refiner
from engine.stages.tiling import TileOptions


def add_restorer_options(parser: argparse.ArgumentParser, backend: str = AUTO) -> None:
    parser.add_argument("--model", default="fast", help="fast, quality or a full model name")
    parser.add_argument("--backend", default=backend, choices=backend_choices(),
                        help=f"inference backend (default {backend}: the fastest available)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: the backend's)")
    parser.add_argument("--tile", type=int, metavar="N",
                        help="process every frame in N x N tiles (default: only frames above "
                             f"{TileOptions().max_pixels / 1e6:.1f} MP, in "
                             f"{TileOptions().tile}-pixel tiles)")
    tuning = parser.add_argument_group("backend options")
    tuning.add_argument("--precision", choices=PRECISIONS,
                        help="torch / onnxruntime arithmetic (default: fp16 on CUDA, fp32 on "
                             "the CPU; TensorRT engines are fp16)")
    tuning.add_argument("--threads", type=int, metavar="N",
                        help="onnxruntime CPU threads (default: the physical cores)")
    tuning.add_argument("--no-cuda-graphs", dest="cuda_graphs", action="store_false",
                        help="torch on CUDA: launch kernels per frame instead of replaying "
                             "captured graphs")
    tuning.add_argument("--tensorrt-via", dest="via", choices=TENSORRT_VIAS, default="onnx",
                        help="build TensorRT engines from the ONNX export (default) or with "
                             "torch-tensorrt")


def add_temporal_options(parser: argparse.ArgumentParser, deconvolve: bool = True,
                         on_for_files: bool = True) -> None:
    """--temporal / --no-temporal, --window and, where the command can afford a second a frame
    (not playback), --deconvolve. `on_for_files`: a file gets the temporal stage unless
    --no-temporal says otherwise (a live camera or stream only with --temporal: latency);
    False leaves it off unless asked (eval: its figures stay single-frame unless it says)."""
    default = "on for files, off for a live camera or stream" if on_for_files else "off"
    parser.add_argument("--temporal", action=argparse.BooleanOptionalAction,
                        default=None if on_for_files else False,
                        help="take detail from the sharper frames around each blurred one "
                             "(files: frames before and after; live: past frames only); "
                             f"default: {default}; --no-temporal restores each frame on "
                             "its own")
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW, metavar="N",
                        help=f"--temporal: frames each side that may lend detail (default "
                             f"{DEFAULT_WINDOW})")
    if not deconvolve:
        return
    parser.add_argument("--deconvolve", action="store_true",
                        help="--temporal: first deconvolve each blurred frame with its "
                             "neighbours, along the camera's motion the video shows, and "
                             "correct each fused frame with the learned fusion refiner (slow: "
                             "about a second a frame on a CPU)")
    parser.add_argument("--refine", action=argparse.BooleanOptionalAction, default=None,
                        help="--temporal: correct each fused frame with the learned fusion "
                             "refiner (default: with --deconvolve only; it costs ~40 ms a "
                             "640x360 frame on a 2-core CPU)")


def temporal_from(args: argparse.Namespace, live: bool = False) -> int | None:
    """The temporal window the options ask for (None: single-frame restoration only). Without
    --temporal or --no-temporal a file gets the stage and a live source does not: single
    frames gain nothing measurable on held-out clips (BENCHMARKS.md), the stage over +1 dB,
    and a live source's latency comes first."""
    on = args.temporal if args.temporal is not None else not live
    for flag in ("deconvolve", "refine"):
        if getattr(args, flag, None) and not on:
            hint = "drop --no-temporal" if args.temporal is False else "add --temporal"
            raise InputError(f"--{flag} works inside the temporal stage: {hint}")
    if not on:
        return None
    if not 1 <= args.window <= 30:
        raise InputError(f"--window {args.window}: give 1 to 30 frames")
    return args.window


def refines(args: argparse.Namespace) -> bool:
    """Whether the temporal stage will run the fusion refiner for these options."""
    return runs_refiner(bool(args.deconvolve), args.refine)


def tile_options_from(args: argparse.Namespace) -> TileOptions:
    """--tile N forces N x N tiles on every frame; without it only large frames are tiled."""
    return TileOptions(tile=args.tile, max_pixels=0) if args.tile else TileOptions()


def backend_options_from(args: argparse.Namespace) -> BackendOptions:
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads {args.threads}: give 1 or more")
    return BackendOptions.from_flags(args.precision, args.cuda_graphs, args.threads, args.via)


def restorer_settings_from(args: argparse.Namespace) -> RestorerSettings:
    """The whole restorer choice of the options, as one value (the viewer keeps it)."""
    return RestorerSettings(args.model, args.backend, args.device, tile_options_from(args),
                            backend_options_from(args))


def restorer_from(args: argparse.Namespace) -> Restorer:
    """The Restorer the options ask for; says on stderr what `auto` chose."""
    restorer = restorer_settings_from(args).build()
    if args.backend == AUTO:
        print(f"deblur: backend auto -> {restorer.description}", file=sys.stderr)
    return restorer
