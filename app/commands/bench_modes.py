"""The measurements of `deblur bench` besides a backend against the reference path, one at a
time, each printed as JSON (BENCHMARKS.md holds their results):

- `--pipeline`: the video pipeline's targets: export throughput against bare inference on the
  same frames, memory along a long export, live latency beyond inference (engine.measure.pipeline_bench);
- `--tiling-check [TILE:OVERLAP ...]`: how far tiled restoration is from the whole frame
  (engine.measure.tiling_check);
- `--train-step`: seconds per training step in each arithmetic, or with `--bank PAIRS` a pair
  bank against on-the-fly synthesis (models.training.step_bench)."""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from app.commands.options import restorer_from
from common.sizes import parse_size
from engine.errors import InputError
from engine.measure.pipeline_bench import PARTS, pipeline_report
from engine.stages.tiling import TileOptions
from engine.stages.temporal import DEFAULT_WINDOW
from engine.measure.temporal_bench import sized_sample, temporal_report
from engine.measure.tiling_check import tiling_difference
from models.training.step_bench import arithmetic_report, bank_against_synthesis

MODES = ("--image-size", "--pipeline", "--tiling-check", "--train-step", "--temporal")
TILING_SIZE = "2560x1440"   # --size of --tiling-check unless given


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("other measurements (one at a time, printed as JSON)")
    group.add_argument("--pipeline", action="store_true",
                       help="the video pipeline: export throughput against bare inference at "
                            "--size over --frames, memory along a long export, live latency "
                            "beyond inference")
    group.add_argument("--only", choices=PARTS, help="--pipeline: only this measurement")
    group.add_argument("--repeats", type=int, default=3,
                       help="--pipeline: export runs (bare inference: one more; default 3)")
    group.add_argument("--preset", help="--pipeline: x264 preset (default: medium for the "
                                        "export, veryfast live)")
    group.add_argument("--rate", type=float, metavar="FPS",
                       help="--pipeline: live source fps (default: about 80%% of the bare "
                            "inference fps)")
    group.add_argument("--memory-frames", type=int, default=10_000, metavar="N",
                       help="--pipeline: frames of the long export (default 10000)")
    group.add_argument("--memory-size", default="64x48", metavar="WxH",
                       help="--pipeline: frame size of the long export (default 64x48)")
    group.add_argument("--tiling-check", nargs="*", metavar="TILE:OVERLAP",
                       help="how far tiled restoration is from the whole frame, per tile and "
                            f"overlap (default {TileOptions().tile}:{TileOptions().overlap}; "
                            f"--size defaults to {TILING_SIZE} here)")
    group.add_argument("--train-step", action="store_true",
                       help="seconds per training step of --model in each arithmetic "
                            "(--device defaults to cpu here)")
    group.add_argument("--temporal", action="store_true",
                       help="the temporal reference stage on the bundled clip: the stage alone "
                            "and an export with it against one without (--window N; --size "
                            "WxH: the clip's first --frames frames at that size)")
    group.add_argument("--window", type=int, default=DEFAULT_WINDOW, metavar="N",
                       help=f"--temporal: frames each side (default {DEFAULT_WINDOW})")
    group.add_argument("--steps", type=int, default=6,
                       help="--train-step: steps timed per arithmetic (default 6)")
    group.add_argument("--bank", type=int, metavar="PAIRS",
                       help="--train-step: instead a pair bank of PAIRS against on-the-fly "
                            "synthesis")


def chosen_mode(args: argparse.Namespace) -> str | None:
    """The one of MODES the options ask for, None for the default measurement."""
    given = [mode for mode, value in zip(MODES, (args.image_size, args.pipeline,
                                                 args.tiling_check is not None, args.train_step,
                                                 args.temporal))
             if value]
    if len(given) > 1:
        raise InputError(f"bench: {' and '.join(given)} are separate measurements; give one")
    return given[0] if given else None


def _positive(**values: float | None) -> None:
    for name, value in values.items():
        if value is not None and value <= 0:
            raise InputError(f"--{name.replace('_', '-')} {value}: must be positive")


def run_temporal(args: argparse.Namespace) -> int:
    """The bundled clip as it is, or with --size its frames at that size (the stage's and the
    export's cost grow differently with the frame: the default export runs the stage)."""
    _positive(window=args.window, frames=args.frames)
    size = parse_size(args.size, "--size") if args.size else None
    restorer = restorer_from(args)
    if size is None:
        report = temporal_report(restorer, args.window)
    else:
        with tempfile.TemporaryDirectory() as folder:
            clip = sized_sample(Path(folder) / "sample.mp4", *size, args.frames)
            report = temporal_report(restorer, args.window, clip)
    print(json.dumps(report, indent=1))
    return 0


def run_pipeline(args: argparse.Namespace, width: int, height: int) -> int:
    _positive(frames=args.frames, batch=args.batch, repeats=args.repeats, rate=args.rate,
              memory_frames=args.memory_frames)
    memory_size = parse_size(args.memory_size, "--memory-size")
    report = pipeline_report(restorer_from(args), width, height, args.frames, args.batch,
                             args.repeats, args.preset, args.rate, memory_size,
                             args.memory_frames, args.only)
    print(json.dumps(report, indent=1))
    return 0


def _tiles(texts: list[str]) -> list[tuple[int, int]]:
    """'1024:256' -> (1024, 256) each; none -> the default tiling."""
    if not texts:
        return [(TileOptions().tile, TileOptions().overlap)]
    tiles = []
    for text in texts:
        tile, _, overlap = text.partition(":")
        if not (tile.isdigit() and overlap.isdigit() and 0 <= int(overlap) < int(tile)):
            raise InputError(f"--tiling-check {text!r}: expected TILE:OVERLAP with "
                             "0 <= OVERLAP < TILE, e.g. 1024:256")
        tiles.append((int(tile), int(overlap)))
    return tiles


def run_tiling_check(args: argparse.Namespace, width: int, height: int) -> int:
    for row in tiling_difference(args.model, args.backend, width, height,
                                 _tiles(args.tiling_check), args.device):
        print(json.dumps(row))
    return 0


def run_train_step(args: argparse.Namespace) -> int:
    _positive(steps=args.steps, bank=args.bank)
    device = args.device or "cpu"
    report = (bank_against_synthesis(args.model, args.bank, args.steps, device) if args.bank
              else arithmetic_report(args.model, args.steps, device))
    print(json.dumps(report, indent=1))
    return 0
