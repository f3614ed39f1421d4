"""`deblur bench --model --backend --size WxH --frames N [--json]`: latency median and p95,
throughput and peak memory of a backend, and in the same run the reference path (eager fp32
PyTorch, one frame at a time, as the original DeblurGAN-v2 predict script), with the ratio.
`--image-size WxH` measures instead the peak memory of restoring one picture that big as
`deblur image` does; `--pipeline`, `--tiling-check`, `--train-step`, `--temporal` other targets
(app/commands/bench_modes.py)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from app.commands import bench_batch, bench_modes
from app.commands.options import add_restorer_options
from common.sizes import parse_size
from engine.measure.bench import BenchRequest, machine_description, run_benchmark
from engine.measure.image_bench import measure_image_memory
from engine.errors import InputError

DEFAULT_SIZE = "640x360"


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="measure a backend against the reference path")
    add_restorer_options(parser)
    parser.add_argument("--size", metavar="WxH",
                        help=f"frame size (default {DEFAULT_SIZE}; "
                             f"{bench_modes.TILING_SIZE} for --tiling-check)")
    parser.add_argument("--frames", type=int, default=100, help="frames to time per path")
    parser.add_argument("--batch", type=int, default=1, help="frames per backend call")
    parser.add_argument("--image-size", metavar="WxH",
                        help="measure the peak memory growth of `deblur image` on a picture "
                             "this big instead (e.g. 8000x8000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    bench_modes.add_options(parser)
    bench_batch.add_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.batch_files:
        return bench_batch.run(args)
    mode = bench_modes.chosen_mode(args)
    if mode == "--image-size":
        return _image_memory(args)
    if mode == "--train-step":
        return bench_modes.run_train_step(args)
    if mode == "--temporal":
        return bench_modes.run_temporal(args)
    width, height = parse_size(args.size or (bench_modes.TILING_SIZE
                                             if mode == "--tiling-check" else DEFAULT_SIZE))
    if mode == "--pipeline":
        return bench_modes.run_pipeline(args, width, height)
    if args.tile:
        raise InputError("--tiling-check takes its tiles as TILE:OVERLAP, not --tile"
                         if mode else "bench measures whole frames; --tile is not supported "
                         "here")
    if mode == "--tiling-check":
        return bench_modes.run_tiling_check(args, width, height)
    request = BenchRequest(model=args.model, backend=args.backend, device=args.device,
                           width=width, height=height, frames=args.frames, batch=args.batch)
    print(f"benchmarking {args.model} at {width}x{height}, {args.frames} frames per path ...",
          file=sys.stderr)
    result = run_benchmark(request)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"machine: {result['machine']}")
    print(f"{'path':58} {'median ms':>10} {'p95 ms':>8} {'fps':>8} {'peak MiB':>9}")
    for key in ("candidate", "reference"):
        r = result[key]
        print(f"{r['path'][:58]:58} {r['latency_ms_median']:10.1f} {r['latency_ms_p95']:8.1f} "
              f"{r['fps']:8.2f} {r['peak_memory_mb']:9.0f}")
    print(f"throughput ratio: {result['throughput_ratio']:.2f}x the reference path "
          f"(memory: {result['candidate']['memory_kind']})")
    return 0


def _image_memory(args: argparse.Namespace) -> int:
    width, height = parse_size(args.image_size, "--image-size")
    print(f"restoring a {width}x{height} picture with {args.model} in child processes ...",
          file=sys.stderr)
    r = measure_image_memory(width, height, args.model, args.backend, args.device, args.tile)
    r["machine"] = f"{machine_description()}, {_ram_gib():.0f} GiB RAM"
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    mib = 2 ** 20
    print(f"machine: {r['machine']}")
    print(f"{width}x{height} picture ({r['image_bytes'] / mib:.0f} MiB as uint8 RGB) with "
          f"{r['path']}: read, restore and write PNG in {r['seconds']:.1f} s")
    print(f"peak RSS {r['peak_bytes'] / mib:.0f} MiB, {r['baseline_peak_bytes'] / mib:.0f} MiB "
          f"with the model loaded and one tile restored: the picture costs "
          f"{r['growth_bytes'] / mib:.0f} MiB = {r['growth_ratio']:.2f}x its uint8 size")
    return 0


def _ram_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
