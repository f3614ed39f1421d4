"""`deblur eval --pairs DIR`: PSNR/SSIM of input and output per image, on average and for the
worst image (DIR holds blur/ and sharp/ folders, GoPro/REDS style), with the unsharp-mask
floor and the 'sharp stays sharp' PSNR. `deblur eval --sharp DIR`: images that need no help
(`deblur data sharp`), each restored against itself, mean and worst. `--record` stores the
figures in the model's card."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands.options import add_restorer_options, add_temporal_options, restorer_from
import models
from engine.errors import InputError
from engine.measure.evaluation import (SHARP_KEPT_TARGET_DB, average, describe_severity, evaluate_pair,
                               evaluate_sharp, gain_by_severity, worst)
from engine.jobs.images import IMAGE_SUFFIXES
from models.training.data import find_pairs

COLUMNS = ["psnr_input", "psnr_output", "psnr_unsharp", "ssim_input", "ssim_output",
           "psnr_sharp_kept"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="PSNR/SSIM on blur/ + sharp/ pairs")
    sets = parser.add_mutually_exclusive_group(required=True)
    sets.add_argument("--pairs", type=Path, help="folder with blur/ and sharp/")
    sets.add_argument("--sharp", type=Path, metavar="DIR",
                      help="folder of sharp images that must come out unchanged")
    sets.add_argument("--clips", type=Path, metavar="DIR", help="folder of clips NAME.mp4 "
                      "with ground truth NAME.sharp.* beside them (deblur data clips)")
    add_restorer_options(parser)
    # --clips: through the temporal reference stage too, only when asked, so that a model's
    # recorded clip figures stay its own
    add_temporal_options(parser, on_for_files=False)
    parser.add_argument("--past-only", action="store_true",
                        help="--clips --temporal: past frames only, as a live source gets")
    parser.add_argument("--as-exported", nargs="?", const="libx264", metavar="CODEC",
                        help="--clips: score the file an export writes (default libx264, "
                             "its CRF 18), beside the frames before encoding and a plain "
                             "transcode of the input (what the codec alone costs)")
    parser.add_argument("--crf", type=int, help="--as-exported: the encoder's constant quality")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument("--guard-ablation", action="store_true",
                        help="--pairs: the model with and without its do-no-harm guards, in one "
                             "run (torch backend)")
    parser.add_argument("--record", metavar="KEY",
                        help="store the averages in the model card under metrics.KEY")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.clips is not None:
        from app.commands.eval_clips import run_clips
        return run_clips(args)
    if args.sharp is not None:
        return run_sharp(args)
    pairs = find_pairs(args.pairs)
    if not pairs:
        raise InputError(f"{args.pairs}: no blur/ + sharp/ image pairs found")
    if args.guard_ablation:
        from app.commands.eval_guard import run_guard_ablation
        return run_guard_ablation(args, pairs)
    restorer = restorer_from(args)
    rows = []
    for blurred, sharp in tqdm(pairs, unit="pair", disable=None):
        try:
            rows.append(evaluate_pair(restorer, blurred, sharp))
        except InputError as exc:
            tqdm.write(f"deblur: {exc}", file=sys.stderr)
    if not rows:
        return 2
    for row in rows:
        row["gain"] = row["psnr_output"] - row["psnr_input"]
    mean = average(rows)
    bands = gain_by_severity([(r["psnr_input"], r["psnr_output"]) for r in rows])
    least, kept = worst(rows, "gain"), worst(rows, "psnr_sharp_kept")
    worst_case = {"gain": round(least["gain"], 3), "gain_image": least["image"],
                  "sharp_kept": round(kept["psnr_sharp_kept"], 3),
                  "sharp_kept_image": kept["image"]}
    if args.json:
        print(json.dumps({"rows": rows, "average": mean, "worst": worst_case, "by_input": bands},
                         indent=1))
    else:
        name_width = max(len(r["image"]) for r in rows + [mean])
        print("image".ljust(name_width), *(c.rjust(15) for c in COLUMNS))
        for row in rows + [mean]:
            print(row["image"].ljust(name_width), *(f"{row[c]:15.3f}" for c in COLUMNS))
        print(f"{restorer.description}: {mean['psnr_output'] - mean['psnr_input']:+.2f} dB "
              f"over the input on {len(rows)} pairs; worst {least['gain']:+.2f} dB "
              f"({least['image']}); sharp kept worst {kept['psnr_sharp_kept']:.2f} dB "
              f"({kept['image']})")
        print(describe_severity(bands))
    if args.record:
        models.record_metrics(restorer.model.entry, args.record, {
            "pairs": len(rows), "source": str(args.pairs),
            **{k: round(v, 3) for k, v in mean.items() if k != "image"},
            "worst": worst_case, "by_input": bands})
    return 0 if len(rows) == len(pairs) else 2


def run_sharp(args: argparse.Namespace) -> int:
    images = sorted(p for p in args.sharp.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise InputError(f"{args.sharp}: no images found (make the set with `deblur data "
                         "sharp -o DIR`)")
    restorer = restorer_from(args)
    rows = [evaluate_sharp(restorer, path) for path in tqdm(images, unit="image", disable=None)]
    mean = average(rows)
    least = worst(rows, "psnr_kept")
    below = [r["image"] for r in rows if r["psnr_kept"] < SHARP_KEPT_TARGET_DB]
    summary = {"images": len(rows), "source": str(args.sharp),
               "psnr_kept_mean": round(mean["psnr_kept"], 3),
               "psnr_kept_worst": round(least["psnr_kept"], 3), "worst_image": least["image"],
               "mean_shift_mean": round(mean["mean_shift"], 3),
               "below_target": below, "target_db": SHARP_KEPT_TARGET_DB}
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=1))
    else:
        width = max(len(r["image"]) for r in rows)
        print("image".ljust(width), "psnr_kept".rjust(10), "mean_shift".rjust(11))
        for row in rows:
            print(row["image"].ljust(width), f"{row['psnr_kept']:10.2f}",
                  f"{row['mean_shift']:+11.2f}")
        print(f"{restorer.description}: sharp in kept at {mean['psnr_kept']:.2f} dB on average, "
              f"worst {least['psnr_kept']:.2f} dB ({least['image']}); {len(below)} of "
              f"{len(rows)} below {SHARP_KEPT_TARGET_DB:g} dB")
    if args.record:
        models.record_metrics(restorer.model.entry, args.record, summary)
    return 0
