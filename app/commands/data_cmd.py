"""`deblur data fetch` (training photos into a cache outside the repo), `deblur data pairs`
(held-out evaluation pairs with synthetic camera shake) and `deblur data sharp` (the "sharp
in" set: held-out frames that need no help, in bright, saturated, dark, noisy and H.264
variants)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from common.atomic import atomic_outputs
from common.sizes import parse_clip_size, parse_size
from engine.errors import InputError
from models.training.fetch import (default_cache_dir, fetch_sources, split_holdout,
                                   training_images)


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="training data: fetch sources, make eval pairs")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = actions.add_parser("fetch", help="download and unpack the training photo sources")
    fetch.add_argument("--cache", type=Path, default=None,
                       help="cache folder (default $DEBLUR_DATA or ~/.cache/deblur/data)")
    fetch.set_defaults(run=run_fetch)
    pairs = actions.add_parser("pairs", help="write blur/ + sharp/ pairs from held-out photos")
    pairs.add_argument("-o", "--output", type=Path, required=True)
    pairs.add_argument("--size", default="640x360", help="WxH of each pair")
    pairs.add_argument("--seed", type=int, default=0)
    pairs.add_argument("--per-photo", type=int, default=1,
                       help="pairs per photo: the centre, then closer views elsewhere")
    pairs.add_argument("--noise-free", action="store_true",
                       help="no sensor noise on the blurred side (clean daylight footage: "
                            "where a model that learned to denoise smooths real texture)")
    pairs.add_argument("--cache", type=Path, default=None)
    add_photo_choice(pairs)
    pairs.set_defaults(run=run_pairs)
    clips = actions.add_parser("clips", help="write hand-held clips + ground truth from "
                               "held-out photos (or, --from train, training ones)")
    clips.add_argument("-o", "--output", type=Path, required=True)
    clips.add_argument("--size", default="640x360", help="WxH of each clip")
    clips.add_argument("--count", type=int, default=8, help="how many clips (default 8)")
    clips.add_argument("--first", type=int, default=0,
                       help="make only clips FIRST..COUNT-1 (each clip is the same whichever "
                            "are made: skip the first 8 of a training set, the tuning set's "
                            "photos, without making them)")
    clips.add_argument("--frames", type=int, default=60, help="frames per clip (default 60)")
    clips.add_argument("--fps", type=float, default=30.0)
    clips.add_argument("--seed", type=int, default=0)
    clips.add_argument("--cache", type=Path, default=None)
    add_photo_choice(clips)
    clips.set_defaults(run=run_clips)
    sharp = actions.add_parser("sharp", help="write the 'sharp in' set (frames needing no "
                               "help) from held-out photos and a sharp video")
    sharp.add_argument("-o", "--output", type=Path, required=True)
    sharp.add_argument("--size", default="640x360", help="WxH of each image")
    sharp.add_argument("--video", type=Path, default=Path("samples/city_sharp.mp4"),
                       help="a sharp video never trained on, whose frames join the set "
                            "(default the bundled sample's ground truth; '' for none)")
    sharp.add_argument("--video-frames", type=int, default=4)
    sharp.add_argument("--cache", type=Path, default=None)
    add_photo_choice(sharp)
    sharp.set_defaults(run=run_sharp)
    export = actions.add_parser("export", help="resized copies of the photos in train/ and "
                                "holdout/ folders (to carry them to a GPU machine)")
    export.add_argument("-o", "--output", type=Path, required=True)
    export.add_argument("--short-side", type=int, default=720)
    export.add_argument("--quality", type=int, default=92, help="JPEG quality")
    export.add_argument("--cache", type=Path, default=None)
    export.set_defaults(run=run_export)


def run_fetch(args: argparse.Namespace) -> int:
    fetch_sources(args.cache or default_cache_dir(), log=lambda m: print(m, file=sys.stderr))
    return 0


def add_photo_choice(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="photos", choices=("holdout", "train"), default="holdout",
                        help="the photos: held-out ones (an evaluation set, the default) or "
                             "training ones (a set to tune on, leaving the held-out set unseen)")


def chosen_photos(args: argparse.Namespace) -> list[Path]:
    """The held-out or the training photos of the data cache, as --from asks."""
    train, holdout = split_holdout(training_images(args.cache or default_cache_dir()))
    return train if args.photos == "train" else holdout


def run_pairs(args: argparse.Namespace) -> int:
    from models.training.eval_pairs import write_pairs   # torch-heavy, only when used
    count = write_pairs(chosen_photos(args), args.output, *parse_size(args.size), seed=args.seed,
                        per_photo=args.per_photo, noise=not args.noise_free)
    print(f"{count} pairs -> {args.output}/blur, {args.output}/sharp", file=sys.stderr)
    return 0


def run_sharp(args: argparse.Namespace) -> int:
    from models.training.eval_sharp import VARIANTS, write_sharp_set   # torch-heavy
    photos = chosen_photos(args)
    frames = {}
    if str(args.video) not in ("", "."):
        frames = video_frames(args.video, args.video_frames)
    count = write_sharp_set(photos, args.output, *parse_size(args.size), frames=frames)
    print(f"{count} sharp images ({len(photos)} {args.photos} photos x {len(VARIANTS)} variants "
          f"+ {len(frames)} video frames) -> {args.output}", file=sys.stderr)
    return 0


def video_frames(video: Path, count: int) -> dict[str, "np.ndarray"]:
    """`count` frames spread evenly over a video, named video_STEM_INDEX.h264."""
    import numpy as np

    from engine.sources.file import read_all
    frames = [f.rgb for f in read_all(video)]
    picks = np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))
    return {f"video_{video.stem}_{i:04d}.h264": frames[i] for i in picks}


def run_clips(args: argparse.Namespace) -> int:
    """NAME.mp4 (blurred), NAME.sharp.mkv (truth) and NAME.json per clip, each clip's files
    appearing whole or not at all (models/training/eval_clips.py has the layout)."""
    from models.training.eval_clips import clip_plans    # torch-heavy, only when used
    from models.training.photo_clip import write_clip
    width, height = parse_clip_size(args.size)
    if args.count < 1 or args.frames < 1 or args.fps <= 0 or not 0 <= args.first < args.count:
        raise InputError("data clips: --count and --frames must be at least 1, --fps positive, "
                         "--first below --count")
    plans = clip_plans(chosen_photos(args), width, height, args.count, args.frames, args.fps,
                       args.seed)[args.first:]
    if not plans:
        raise InputError(f"data clips: the data cache holds no {args.photos} photo")
    args.output.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(plans) * args.frames, unit="frame", disable=None)
    for plan in plans:
        targets = [args.output / f"{plan.name}{ext}" for ext in (".mp4", ".sharp.mkv", ".json")]
        with atomic_outputs(targets) as temps:
            write_clip(plan.clip(), temps, plan.about(), progress=lambda n: bar.update(1))
    bar.close()
    print(f"{len(plans)} clips -> {args.output} (NAME.mp4 blurred, NAME.sharp.mkv ground truth, "
          "NAME.json)", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    """The split is decided here, on the original files, so that train/ and holdout/ keep it
    wherever the copies go (re-encoding changes the bytes the split hashes)."""
    import cv2

    from models.training.data import load_rgb
    train, holdout = split_holdout(training_images(args.cache or default_cache_dir()))
    for folder, paths in (("train", train), ("holdout", holdout)):
        (args.output / folder).mkdir(parents=True, exist_ok=True)
        for i, path in enumerate(paths):
            rgb = load_rgb(path, args.short_side)
            target = args.output / folder / f"{i:03d}_{path.stem}.jpg"
            cv2.imwrite(str(target), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, args.quality])
    print(f"{len(train)} train + {len(holdout)} held-out photos -> {args.output}",
          file=sys.stderr)
    return 0
