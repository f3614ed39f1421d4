"""`deblur bench --batch-files N [--batch-frames F] [--ray-workers W] [--clip VIDEO]`: batch
export throughput over N short clips, the local runner against Ray with W workers on this
machine, in one run (engine.batch.bench); Ray's overhead per file beside it."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.export_batch import need_ray
from app.commands.options import restorer_settings_from
from engine.measure.bench import machine_description
from engine.errors import InputError

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "city_shake.mp4"


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("batch export, local against Ray (needs deblur[cluster])")
    group.add_argument("--batch-files", type=int, metavar="N",
                       help="measure batch export over N short clips instead")
    group.add_argument("--batch-frames", type=int, default=30, metavar="F",
                       help="frames per clip (default 30)")
    group.add_argument("--ray-workers", type=int, default=2, metavar="W",
                       help="Ray workers on this machine (default 2)")
    group.add_argument("--clip", type=Path, default=SAMPLE,
                       help="video the clips are cut from (default samples/city_shake.mp4)")


def run(args: argparse.Namespace) -> int:
    if min(args.batch_files, args.batch_frames, args.ray_workers) < 1:
        raise InputError("--batch-files, --batch-frames and --ray-workers must be 1 or more")
    if not args.clip.is_file():
        raise InputError(f"{args.clip}: no such video; give --clip VIDEO")
    need_ray("bench --batch-files")
    from engine.batch.bench import batch_benchmark
    print(f"batch export of {args.batch_files} clips, local and on Ray with "
          f"{args.ray_workers} workers ...", file=sys.stderr)
    result = batch_benchmark(args.clip, args.batch_files, args.batch_frames,
                             args.ray_workers, restorer_settings_from(args))
    result["machine"] = machine_description()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"machine: {result['machine']}; {result['clip']}; {result['restorer']}")
    print(f"{'runner':24} {'wall s':>7} {'files/h':>8} {'fps':>6} {'export s/file':>14} "
          f"{'overhead s/file':>16}")
    for key, label in (("local", "local (1 process)"),
                       ("ray", f"ray ({result['workers']} workers x "
                               f"{result['cpus_per_worker']} CPU)")):
        r = result[key]
        print(f"{label:24} {r['wall_s']:7.1f} {r['files_per_hour']:8.0f} {r['fps']:6.1f} "
              f"{r['export_s_per_file']:14.2f} {r['overhead_s_per_file']:16.2f}")
    print(f"Ray cluster start (once per job): {result['ray_start_s']:.1f} s; throughput "
          f"ratio ray/local {result['local']['wall_s'] / result['ray']['wall_s']:.2f}x")
    return 0
