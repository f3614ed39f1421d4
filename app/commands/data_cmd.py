"""`deblur data fetch` (training photos into a cache outside the repo) and `deblur data pairs`
(held-out evaluation pairs with synthetic camera shake)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    pairs.add_argument("--cache", type=Path, default=None)
    pairs.set_defaults(run=run_pairs)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not WxH, e.g. 640x360") from None
    return width, height


def run_fetch(args: argparse.Namespace) -> int:
    fetch_sources(args.cache or default_cache_dir(), log=lambda m: print(m, file=sys.stderr))
    return 0


def run_pairs(args: argparse.Namespace) -> int:
    from models.training.eval_pairs import write_pairs   # torch-heavy, only when used
    _, holdout = split_holdout(training_images(args.cache or default_cache_dir()))
    count = write_pairs(holdout, args.output, *parse_size(args.size), seed=args.seed)
    print(f"{count} pairs -> {args.output}/blur, {args.output}/sharp", file=sys.stderr)
    return 0
