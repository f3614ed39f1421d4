"""`deblur train --model NAME --steps N [--device cuda] [--resume]`: train on the fetched
photos (or a real paired dataset), with validation, checkpoints and curves in --run-dir;
`--publish` copies the final weights and card into models/weights/."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import models
from common.atomic import atomic_outputs
from models.training.errors import FetchError
from models.training.fetch import default_cache_dir, split_holdout, training_images
from models.training.loop import TrainOptions, train
from models.training.precision import PRECISIONS


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model (resumable)")
    parser.add_argument("--model", required=True, help="fast, quality or a full model name")
    parser.add_argument("--steps", type=int, required=True, help="total optimiser steps")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument("--run-dir", type=Path, help="default runs/<model name>")
    parser.add_argument("--data", type=Path, default=None,
                        help="photo cache of `deblur data fetch` (default $DEBLUR_DATA or "
                             "~/.cache/deblur/data)")
    parser.add_argument("--photos", type=Path,
                        help="train/ + holdout/ photo folders (`deblur data export`) instead of "
                             "the fetch cache")
    parser.add_argument("--pairs", type=Path, help="train on real blur/ + sharp/ pairs instead")
    parser.add_argument("--vgg19", type=Path, help="VGG19 weights for the perceptual term")
    parser.add_argument("--init", type=Path,
                        help="start from these .safetensors weights (e.g. the shipped ones)")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--crop", type=int)
    parser.add_argument("--lr", type=float, help="peak learning rate (default: the recipe's)")
    parser.add_argument("--val-every", type=int)
    parser.add_argument("--val-count", type=int, default=48,
                        help="validation crops (12 gave +-0.3 dB of noise)")
    parser.add_argument("--adv-start", type=float,
                        help="fraction of the steps before the adversarial term (GAN recipes; "
                             "default content only)")
    parser.add_argument("--bank", type=int, default=0, metavar="PAIRS",
                        help="draw pairs from a bank of this many synthesised pairs, reused "
                             "with crops/flips/turns and refreshed a slice at a time")
    parser.add_argument("--bank-cache", type=Path,
                        help="file keeping the bank between runs (default: beside the data "
                             "cache, outside the repo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="bf16 autocast + channels-last where the hardware has bf16 "
                             "(auto, the default), or fp32")
    parser.add_argument("--stop-after", type=float, metavar="MINUTES",
                        help="pause at a checkpoint after this long (SIGTERM pauses too); "
                             "--resume continues")
    parser.add_argument("--publish", action="store_true",
                        help="copy the final weights, card and curves into models/weights/")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    entry = models.resolve(args.model)
    if args.photos:
        train_photos, holdout = (sorted((args.photos / part).glob("*.jpg"))
                                 for part in ("train", "holdout"))
        if not train_photos:
            raise FetchError(f"{args.photos}/train holds no .jpg photos: make it with "
                             "`deblur data export`")
        sources = Counter({str(args.photos): len(train_photos)})
    else:
        cache = args.data or default_cache_dir()
        train_photos, holdout = split_holdout(training_images(cache))
        sources = Counter(p.relative_to(cache).parts[1] for p in train_photos)
    run_dir = args.run_dir or Path("runs") / entry.name
    opts = TrainOptions(
        model=entry.name, steps=args.steps, run_dir=run_dir, photos=train_photos,
        val_photos=holdout, device=args.device, resume=args.resume, seed=args.seed,
        pairs=args.pairs, vgg19=args.vgg19, init=args.init, batch=args.batch, crop=args.crop,
        lr=args.lr, val_every=args.val_every, val_count=args.val_count,
        adv_start=args.adv_start, bank_size=args.bank,
        bank_cache=args.bank_cache or default_cache_dir().parent / "banks" /
        f"{entry.name}-{args.bank}.pt",
        stop_after=None if args.stop_after is None else args.stop_after * 60,
        precision=args.precision,
        data_summary={"photos": len(train_photos), "held_out": len(holdout),
                      "archives": dict(sources), "procedural": "dead leaves, 10% of crops",
                      "manifest": "deblur data fetch (models/training/sources.py)"})
    weights = train(opts, log=lambda m: print(m, file=sys.stderr))
    print(f"weights: {weights}", file=sys.stderr)
    finished = json.loads(weights.with_suffix(".json").read_text())["steps"] >= args.steps
    if args.publish and not finished:
        print("not published: the run paused before its last step", file=sys.stderr)
    elif args.publish:
        target = models.registry.PACKAGED_WEIGHTS
        card = weights.with_suffix(".json")
        publish({weights: target / weights.name, card: target / card.name,
                 run_dir / "curves.png": target / f"{entry.name}.curves.png"})
    return 0


def publish(files: dict[Path, Path]) -> None:
    """Copy each run file to its place among the shipped weights: all of them or none."""
    with atomic_outputs(list(files.values())) as temps:
        for path, temporary in zip(files, temps):
            shutil.copy2(path, temporary)
    print(f"published to {models.registry.PACKAGED_WEIGHTS}", file=sys.stderr)
