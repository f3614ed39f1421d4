"""`deblur eval --pairs DIR --guard-ablation`: what the do-no-harm guards (models/guard.py, the
low frequencies; models/sharp_gate.py, sharp input kept) cost or save, measured in one run on
the same pairs: the model on the torch backend with its guards and without them, the gain
over the blurred input (mean and worst) and how sharp images come out
(the 'sharp kept' PSNR of each pair's ground truth restored against itself)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from tqdm import tqdm

from app.commands.options import restorer_settings_from
from engine.backends.options import TorchOptions
from engine.errors import InputError
from engine.measure.evaluation import average, evaluate_pair, worst


def run_guard_ablation(args: argparse.Namespace, pairs: list) -> int:
    base = replace(restorer_settings_from(args), backend="torch")
    variants = {"with guard": base,
                "without guard": replace(base, options=replace(
                    base.options, torch=TorchOptions(base.options.torch.precision,
                                                     base.options.torch.cuda_graphs, False)))}
    summary = {}
    for name, settings in variants.items():
        restorer = settings.build()
        rows = []
        for blurred, sharp in tqdm(pairs, unit="pair", desc=name, disable=None):
            try:
                rows.append(evaluate_pair(restorer, blurred, sharp))
            except InputError as exc:
                tqdm.write(f"deblur: {exc}", file=sys.stderr)
        if not rows:
            raise InputError(f"{args.pairs}: no pair could be evaluated")
        for row in rows:
            row["gain"] = row["psnr_output"] - row["psnr_input"]
        mean, least = average(rows), worst(rows, "gain")
        kept = worst(rows, "psnr_sharp_kept")
        summary[name] = {"pairs": len(rows), "gain_mean": round(mean["gain"], 3),
                         "gain_worst": round(least["gain"], 3), "gain_worst_image": least["image"],
                         "sharp_kept_mean": round(mean["psnr_sharp_kept"], 3),
                         "sharp_kept_worst": round(kept["psnr_sharp_kept"], 3),
                         "description": restorer.description}
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{'':14} {'gain mean':>10} {'gain worst':>11} {'sharp kept mean':>16} "
          f"{'sharp kept worst':>17}")
    for name, s in summary.items():
        print(f"{name:14} {s['gain_mean']:+10.2f} {s['gain_worst']:+11.2f} "
              f"{s['sharp_kept_mean']:16.2f} {s['sharp_kept_worst']:17.2f}")
    on, off = summary["with guard"], summary["without guard"]
    print(f"the guard changes the mean gain by {on['gain_mean'] - off['gain_mean']:+.2f} dB and "
          f"the worst sharp-kept by {on['sharp_kept_worst'] - off['sharp_kept_worst']:+.2f} dB "
          f"({on['pairs']} pairs, {on['description']})")
    return 0
