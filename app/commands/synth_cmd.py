"""`deblur synth SHARP_VIDEO -o BLURRED_VIDEO`: add a smooth synthetic camera shake to a
sharp clip and write the aligned ground truth beside it (NAME.sharp.EXT, or --sharp-out)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from engine.errors import InputError
from models.training.video_shake import ShakeConfig, synthesise


def register(subparsers) -> None:
    parser = subparsers.add_parser("synth", help="shake a sharp video; write blurred + truth")
    parser.add_argument("input", type=Path, metavar="SHARP_VIDEO")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="BLURRED_VIDEO")
    parser.add_argument("--sharp-out", type=Path, help="ground truth (default NAME.sharp.EXT)")
    parser.add_argument("--width", type=int, help="rescale to this width (aspect kept)")
    parser.add_argument("--max-blur", type=float, default=40.0,
                        help="longest blur in pixels at 1280x720 (default 40)")
    parser.add_argument("--exposure", type=float, default=0.6,
                        help="shutter open fraction of the frame interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-y", "--overwrite", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise InputError(f"{args.input}: no such video file")
    sharp_out = args.sharp_out or args.output.with_name(
        f"{args.output.stem}.sharp{args.output.suffix}")
    for target in (args.output, sharp_out):
        if target.exists() and not args.overwrite:
            raise InputError(f"{target}: exists; pass -y to overwrite")
    temps = [t.with_name(f".{t.stem}.part{t.suffix}") for t in (args.output, sharp_out)]
    bar = tqdm(unit="frame", disable=None)
    try:
        count = synthesise(args.input, temps[0], temps[1],
                           ShakeConfig(args.max_blur, args.exposure, args.seed),
                           width=args.width, progress=lambda n: bar.update(1))
    except Exception as exc:
        for temp in temps:
            temp.unlink(missing_ok=True)
        if isinstance(exc, (OSError, ValueError)) and not isinstance(exc, FileNotFoundError):
            raise InputError(f"{args.input}: cannot be read as video ({exc})") from exc
        raise
    finally:
        bar.close()
    for temp, target in zip(temps, (args.output, sharp_out)):
        os.replace(temp, target)
    print(f"{count} frames -> {args.output} (blurred), {sharp_out} (ground truth)",
          file=sys.stderr)
    return 0
