"""`deblur synth SHARP_VIDEO -o BLURRED_VIDEO`: add a smooth synthetic camera shake to a
sharp clip and write the aligned ground truth beside it (NAME.sharp.EXT, or --sharp-out).
`deblur synth --photo PHOTO -o CLIP.mp4`: a hand-held phone clip made from a still photo
(camera motion, a moving object, calm and shaky stretches, noise, H.264), its ground truth
NAME.sharp.mkv (FFV1, lossless RGB) and NAME.json (how it was made, blur per frame)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from common.atomic import atomic_outputs
from common.sizes import parse_clip_size
from engine.errors import InputError
from models.training.video_shake import ShakeConfig, synthesise


def register(subparsers) -> None:
    parser = subparsers.add_parser("synth", help="shake a sharp video, or film a photo hand-held; "
                                   "write blurred + truth")
    parser.add_argument("input", type=Path, nargs="?", metavar="SHARP_VIDEO")
    parser.add_argument("--photo", type=Path, help="make a hand-held clip from this still photo")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="BLURRED_VIDEO")
    parser.add_argument("--sharp-out", type=Path,
                        help="ground truth (default NAME.sharp.EXT; with --photo NAME.sharp.mkv)")
    parser.add_argument("--width", type=int, help="rescale to this width (aspect kept)")
    parser.add_argument("--max-blur", type=float, default=40.0,
                        help="longest blur in pixels at 1280x720 (default 40)")
    parser.add_argument("--exposure", type=float, default=None,
                        help="shutter open fraction of the frame interval (default 0.6; "
                             "--photo 0.5)")
    parser.add_argument("--seed", type=int, default=0)
    photo = parser.add_argument_group("--photo clips")
    photo.add_argument("--size", default="640x360", help="WxH of the clip (default 640x360)")
    photo.add_argument("--frames", type=int, default=90)
    photo.add_argument("--fps", type=float, default=30.0)
    photo.add_argument("--crf", type=int, default=21, help="H.264 quality (default 21)")
    photo.add_argument("--object", type=Path, metavar="PHOTO2",
                       help="cut the moving object from this photo (default: drawn shapes)")
    photo.add_argument("--no-object", action="store_true", help="no moving object")
    parser.add_argument("-y", "--overwrite", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.input is None) == (args.photo is None):
        raise InputError("synth: give a SHARP_VIDEO or --photo PHOTO (one of them)")
    source = args.photo or args.input
    if not source.is_file():
        raise InputError(f"{source}: no such {'photo' if args.photo else 'video'} file")
    default_ext = ".mkv" if args.photo else args.output.suffix
    sharp_out = args.sharp_out or args.output.with_name(f"{args.output.stem}.sharp{default_ext}")
    targets = [args.output, sharp_out]
    if args.photo:
        if sharp_out.suffix.lower() != ".mkv":
            raise InputError(f"{sharp_out}: the ground truth is lossless FFV1; name it .mkv")
        targets.append(args.output.with_suffix(".json"))
    for target in targets:
        if target.exists() and not args.overwrite:
            raise InputError(f"{target}: exists; pass -y to overwrite")
    bar = tqdm(unit="frame", disable=None)
    try:
        with atomic_outputs(targets) as temps:
            count = (_photo_clip(args, temps, bar) if args.photo else
                     synthesise(args.input, temps[0], temps[1],
                                ShakeConfig(args.max_blur, args.exposure or 0.6, args.seed),
                                width=args.width, progress=lambda n: bar.update(1)))
    except (OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputError(f"{source}: cannot be read as {'an image' if args.photo else 'video'} "
                         f"({exc})") from exc
    finally:
        bar.close()
    print(f"{count} frames -> {args.output} (blurred), {sharp_out} (ground truth)",
          file=sys.stderr)
    return 0


def _photo_clip(args: argparse.Namespace, temps: list[Path], bar: tqdm) -> int:
    from models.training.data import load_rgb          # torch-heavy, only when used
    from models.training.photo_clip import PROCEDURAL, ClipConfig, PhotoClip, write_clip
    width, height = parse_clip_size(args.size)
    if args.frames < 1 or args.fps <= 0:
        raise InputError("synth: --frames must be at least 1 and --fps positive")
    if args.object and not args.object.is_file():
        raise InputError(f"{args.object}: no such photo file")
    config = ClipConfig(width, height, args.frames, args.fps, args.max_blur,
                        args.exposure or 0.5, args.crf, args.seed)
    other = None if args.no_object else load_rgb(args.object) if args.object else PROCEDURAL
    clip = PhotoClip(load_rgb(args.photo), config, other)
    bar.total = len(clip)
    write_clip(clip, temps, {"photo": str(args.photo),
                             "object_from": str(args.object) if args.object else None},
               progress=lambda n: bar.update(1))
    return len(clip)
