"""`deblur eval --pairs DIR`: PSNR/SSIM of input and output per image and on average (DIR
holds blur/ and sharp/ folders, GoPro/REDS style), with the unsharp-mask floor and the
'sharp stays sharp' PSNR. `--record` stores the averages in the model's card."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands.options import add_restorer_options, restorer_from
import models
from engine.errors import InputError
from engine.evaluation import average, describe_severity, evaluate_pair, gain_by_severity
from models.training.data import find_pairs

COLUMNS = ["psnr_input", "psnr_output", "psnr_unsharp", "ssim_input", "ssim_output",
           "psnr_sharp_kept"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="PSNR/SSIM on blur/ + sharp/ pairs")
    sets = parser.add_mutually_exclusive_group(required=True)
    sets.add_argument("--pairs", type=Path, help="folder with blur/ and sharp/")
    sets.add_argument("--clips", type=Path, metavar="DIR", help="folder of clips NAME.mp4 "
                      "with ground truth NAME.sharp.* beside them (deblur data clips)")
    add_restorer_options(parser)
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument("--record", metavar="KEY",
                        help="store the averages in the model card under metrics.KEY")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.clips is not None:
        from app.commands.eval_clips import run_clips
        return run_clips(args)
    pairs = find_pairs(args.pairs)
    if not pairs:
        raise InputError(f"{args.pairs}: no blur/ + sharp/ image pairs found")
    restorer = restorer_from(args)
    rows = []
    for blurred, sharp in tqdm(pairs, unit="pair", disable=None):
        try:
            rows.append(evaluate_pair(restorer, blurred, sharp))
        except InputError as exc:
            tqdm.write(f"deblur: {exc}", file=sys.stderr)
    if not rows:
        return 2
    mean = average(rows)
    bands = gain_by_severity([(r["psnr_input"], r["psnr_output"]) for r in rows])
    if args.json:
        print(json.dumps({"rows": rows, "average": mean, "by_input": bands}, indent=1))
    else:
        name_width = max(len(r["image"]) for r in rows + [mean])
        print("image".ljust(name_width), *(c.rjust(15) for c in COLUMNS))
        for row in rows + [mean]:
            print(row["image"].ljust(name_width), *(f"{row[c]:15.3f}" for c in COLUMNS))
        print(f"{restorer.description}: {mean['psnr_output'] - mean['psnr_input']:+.2f} dB "
              f"over the input on {len(rows)} pairs")
        print(describe_severity(bands))
    if args.record:
        _record(restorer.model.entry, args.record, mean, bands, len(rows), args.pairs)
    return 0 if len(rows) == len(pairs) else 2


def _record(entry: models.ModelEntry, key: str, mean: dict, bands: list[dict], count: int,
            pairs: Path) -> None:
    card_path = entry.card_path()
    card = json.loads(card_path.read_text())
    card.setdefault("metrics", {})[key] = {
        "pairs": count, "source": str(pairs),
        **{k: round(v, 3) for k, v in mean.items() if k != "image"}, "by_input": bands}
    card_path.write_text(json.dumps(card, indent=2) + "\n")
