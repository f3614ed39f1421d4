"""`deblur grid --pairs DIR -o FILE.png [--models fast quality]`: a picture of input / each
model's output / ground truth for a few pairs, with PSNR written on every tile."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio

from engine.errors import InputError
from engine.jobs.images import read_image
from engine.stages.restorer import Restorer
from models.training.data import find_pairs


def register(subparsers) -> None:
    parser = subparsers.add_parser("grid", help="PNG grid: input / models / ground truth")
    parser.add_argument("--pairs", type=Path, required=True, help="folder with blur/ and sharp/")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--models", nargs="+", default=["fast"])
    parser.add_argument("--count", type=int, default=3, help="pairs to show (rows)")
    parser.add_argument("--width", type=int, default=480, help="width of each tile")
    parser.set_defaults(run=run)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = tile.copy()
    cv2.rectangle(tile, (0, 0), (tile.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(tile, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    return tile


def run(args: argparse.Namespace) -> int:
    pairs = find_pairs(args.pairs)[:args.count]
    if not pairs:
        raise InputError(f"{args.pairs}: no blur/ + sharp/ image pairs found")
    restorers = [Restorer(name) for name in args.models]
    rows = []
    for blurred_path, sharp_path in pairs:
        blurred, sharp = read_image(blurred_path).rgb, read_image(sharp_path).rgb
        columns = [("input", blurred)] + [(r.model.entry.name, r.restore(blurred))
                                          for r in restorers] + [("ground truth", sharp)]
        scale = args.width / sharp.shape[1]
        tiles = []
        for name, image in columns:
            text = name if image is sharp else \
                f"{name}  {peak_signal_noise_ratio(sharp, image, data_range=255):.2f} dB"
            tiles.append(_label(cv2.resize(image, None, fx=scale, fy=scale,
                                           interpolation=cv2.INTER_AREA), text))
        rows.append(np.concatenate(tiles, axis=1))
    grid = np.concatenate(rows, axis=0)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.output), grid[..., ::-1])
    print(f"{len(rows)} rows x {len(columns)} columns -> "
          f"{args.output}", file=sys.stderr)
    return 0
