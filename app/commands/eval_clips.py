"""`deblur eval --clips DIR`: clips NAME.mp4 with their ground truth NAME.sharp.* beside them
(`deblur data clips`), restored frame by frame with the same Restorer as `--pairs`: a row per
clip, the mean over the clips, the worst clip, the worst 10-frame stretch and the gain by input
PSNR, and the share of 32 px blocks made 1 dB or more worse than the input. `--as-exported`
scores the file the export writes instead (engine/measure/exported_clips.py). `--record KEY`
stores the summary in the model's card under metrics.KEY."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands.options import refines, restorer_from, temporal_from
from engine.measure.clip_evaluation import (BLOCK, EXPORT_GAINS, HARM_DB, find_clips,
                                           score_clip, summarise)
from engine.errors import InputError
from engine.jobs.video_export import ExportSettings
from engine.measure.exported_clips import score_exported
from engine.sinks.video_writer import check_output
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
    export = _export_settings(args, window)
    restorer = restorer_from(args)
    rows = []
    with tqdm(total=sum(_frame_count(b) for b, _ in clips), unit="frame", disable=None) as bar:
        for blurred, truth in clips:
            try:
                rows.append(score_exported(restorer, blurred, truth, export, bar.update)
                            if export else
                            score_clip(restorer, blurred, truth, bar.update, window,
                                       args.past_only, args.deconvolve, args.refine))
            except InputError as exc:
                tqdm.write(f"deblur: {exc}", file=sys.stderr)
    if not rows:
        return 2
    summary = {**summarise(rows), "source": str(args.clips)}
    if export:
        summary["as_exported"] = {"codec": export.codec, "crf": export.crf}
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=1))
    else:
        _print_table(rows, summary, restorer.description
                     + (f" + temporal (window {window}"
                        f"{', past frames only' if args.past_only else ''}"
                        f"{', multi-frame deconvolution' if args.deconvolve else ''}"
                        f"{', fusion refiner' if refines(args) else ''})"
                        if window else "")
                     + (f", scored on the file {export.codec} writes" if export else ""))
    if args.record:
        record_metrics(restorer.model.entry, args.record, summary)
    return 0 if len(rows) == len(clips) else 2


def _export_settings(args: argparse.Namespace, window: int | None) -> ExportSettings | None:
    """What an export of each clip would be written with (--as-exported), checked before any
    model loads; None to score the frames before encoding."""
    if args.as_exported is None:
        if args.crf is not None:
            raise InputError("--crf applies to --as-exported (the encoder's quality)")
        return None
    if args.past_only:
        raise InputError("--past-only scores frames as a live source gets them; "
                         "--as-exported scores a file's export, which looks ahead")
    check_output(Path("scored.mkv"), args.as_exported, args.crf)
    return ExportSettings(args.as_exported, args.crf, temporal=window,
                          deconvolve=args.deconvolve, refine=args.refine)


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
    extra = [k for k in EXPORT_GAINS if k in summary]   # --as-exported
    print("clip".ljust(width), *(c.rjust(15 if c in EXPORT_GAINS else 13)
                                 for c in (*COLUMNS, *extra)))
    for row in rows + [average]:
        print(row["clip"].ljust(width), f"{row['frames']:13d}",
              *(f"{row[c]:13.3f}" for c in COLUMNS[1:3]),
              *(f"{row[c]:+13.3f}" for c in COLUMNS[3:5]), f"{100 * row['harmed_blocks']:12.2f}%",
              *(f"{row[c]:+15.3f}" for c in extra))
    least, stretch = summary["worst_clip"], summary["worst_stretch"]
    last = stretch["first_frame"] + stretch["frames"] - 1
    print(f"{description}: {summary['gain']:+.2f} dB over the input on {summary['clips']} "
          f"clips ({summary['frames']} frames); worst clip {least['gain']:+.2f} dB "
          f"({least['clip']}); worst {stretch['frames']}-frame stretch {stretch['gain']:+.2f} dB "
          f"({stretch['clip']}, frames {stretch['first_frame']}-{last}); "
          f"{100 * summary['harmed_blocks']:.2f} % of {BLOCK} px blocks made {HARM_DB:g} dB or "
          f"more worse (most: {100 * summary['most_harmed_clip']['harmed_blocks']:.2f} %, "
          f"{summary['most_harmed_clip']['clip']})")
    if extra:
        print(f"before the encoder: {summary['before_encoding']:+.2f} dB; the input written by "
              f"the same encoder unchanged (a plain transcode): {summary['transcoded']:+.2f} dB; "
              f"the files {summary['size_ratio']:.2f}x the clips' bytes (the transcode "
              f"{summary['transcoded_size_ratio']:.2f}x)")
    print(describe_severity(summary["by_input"]))
