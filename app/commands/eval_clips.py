"""`deblur eval --clips DIR`: clips NAME.mp4 with their ground truth NAME.sharp.* beside them
(`deblur data clips`), restored frame by frame with the same Restorer as `--pairs`: a row per
clip, the mean over the clips, the worst clip, the worst 10-frame stretch and the gain by input
PSNR, and the share of 32 px blocks made 1 dB or more worse than the input. `--record KEY`
stores the summary in the model's card under metrics.KEY."""
from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from app.commands.options import refines, restorer_from, temporal_from
from engine.measure.clip_evaluation import (BLOCK, HARM_DB, find_clips, score_clip,
                                           summarise)
from engine.errors import InputError
from engine.measure.evaluation import describe_severity
from engine.sources.file import FileSource
from models import record_metrics

COLUMNS = ("frames", "psnr_input", "psnr_output", "gain", "worst_stretch", "harmed_blocks")


def run_clips(args: argparse.Namespace) -> int:
    clips = find_clips(args.clips)
    if not clips:
        raise InputError(f"{args.clips}: no clips (NAME.mp4 with NAME.sharp.* beside it); make "
                         "a set with `deblur data clips -o DIR`")
    window = temporal_from(args)
    restorer = restorer_from(args)
    rows = []
    with tqdm(total=sum(_frame_count(b) for b, _ in clips), unit="frame", disable=None) as bar:
        for blurred, truth in clips:
            try:
                rows.append(score_clip(restorer, blurred, truth, bar.update, window,
                                       args.past_only, args.deconvolve, args.refine))
            except InputError as exc:
                tqdm.write(f"deblur: {exc}", file=sys.stderr)
    if not rows:
        return 2
    summary = {**summarise(rows), "source": str(args.clips)}
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=1))
    else:
        _print_table(rows, summary, restorer.description
                     + (f" + temporal (window {window}"
                        f"{', past frames only' if args.past_only else ''}"
                        f"{', multi-frame deconvolution' if args.deconvolve else ''}"
                        f"{', fusion refiner' if refines(args) else ''})"
                        if window else ""))
    if args.record:
        record_metrics(restorer.model.entry, args.record, summary)
    return 0 if len(rows) == len(clips) else 2


def _frame_count(path) -> int:
    source = FileSource(path)
    try:
        return source.frame_count or 0
    finally:
        source.close()


def _print_table(rows: list[dict], summary: dict, description: str) -> None:
    average = {"clip": "average", **summary,
               "worst_stretch": sum(r["worst_stretch"] for r in rows) / len(rows)}
    width = max(len(r["clip"]) for r in rows + [average])
    print("clip".ljust(width), *(c.rjust(13) for c in COLUMNS))
    for row in rows + [average]:
        print(row["clip"].ljust(width), f"{row['frames']:13d}",
              *(f"{row[c]:13.3f}" for c in COLUMNS[1:3]),
              *(f"{row[c]:+13.3f}" for c in COLUMNS[3:5]), f"{100 * row['harmed_blocks']:12.2f}%")
    least, stretch = summary["worst_clip"], summary["worst_stretch"]
    last = stretch["first_frame"] + stretch["frames"] - 1
    print(f"{description}: {summary['gain']:+.2f} dB over the input on {summary['clips']} "
          f"clips ({summary['frames']} frames); worst clip {least['gain']:+.2f} dB "
          f"({least['clip']}); worst {stretch['frames']}-frame stretch {stretch['gain']:+.2f} dB "
          f"({stretch['clip']}, frames {stretch['first_frame']}-{last}); "
          f"{100 * summary['harmed_blocks']:.2f} % of {BLOCK} px blocks made {HARM_DB:g} dB or "
          f"more worse (most: {100 * summary['most_harmed_clip']['harmed_blocks']:.2f} %, "
          f"{summary['most_harmed_clip']['clip']})")
    print(describe_severity(summary["by_input"]))
