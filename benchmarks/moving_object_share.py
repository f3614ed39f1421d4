"""How much of a restoration's remaining error sits on the moving object of clips made by
`deblur data clips`: the layer that goes round its own path, blurred by its own motion in every
frame, so that no neighbouring frame holds it sharp. Each frame is scored as restored, and
again with the object's footprint (where it covers the truth, grown by the length of its own
motion in that frame) taken from the truth: the gain a restorer of that region alone would
add at best. The clips are made again from their NAME.json (its photos must still be in the
data cache) and checked against their truth.

    .venv/bin/python benchmarks/moving_object_share.py DIR [--temporal [--deconvolve]] [--model M]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from app.commands.options import (add_restorer_options, add_temporal_options, restorer_from,
                                  temporal_from)
from engine.frames import Frame
from engine.jobs.video_export import with_temporal
from engine.measure.evaluation import psnr
from engine.pipeline import Pipeline
from engine.sources.file import FileSource, read_all
from models.training.eval_clips import ClipPlan

NEARLY_SHARP_DB = 32.0        # the input PSNR above which `deblur eval` bands a frame as sharp


def footprint(alpha: np.ndarray, motion_px: float) -> np.ndarray:
    """Where the object's blurred image may reach: its coverage grown by its motion."""
    reach = int(np.ceil(motion_px)) + 2
    grown = cv2.dilate((alpha > 0.01).astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8))
    return grown > 0


def score(clip_json: Path, restorer, window: int | None, deconvolve: bool, refine) -> list:
    """Per frame: input PSNR, output PSNR, output PSNR with the footprint from the truth, the
    footprint's share of the frame and its share of the output's squared error."""
    folder, name = clip_json.parent, clip_json.stem
    info = json.loads(clip_json.read_text())
    clip = ClipPlan.from_info(name, info).clip()
    truth = [f.rgb for f in read_all(folder / f"{name}.sharp.mkv")]
    if not np.array_equal(clip.render(0)[1], truth[0]):
        raise SystemExit(f"{name}: made again, it is not the clip on disk (photos changed?)")
    rows = []

    def sink(frame: Frame) -> None:
        i, out, sharp = frame.index, frame.output, truth[frame.index]
        region = footprint(clip.object_alpha(i), info["per_frame"][i]["object_px"])
        fixed = out.copy()
        fixed[region] = sharp[region]
        error = ((out.astype(np.float64) - sharp) ** 2).mean(axis=2)
        rows.append((psnr(sharp, frame.rgb), psnr(sharp, out), psnr(sharp, fixed),
                     float(region.mean()), float(error[region].sum() / max(error.sum(), 1e-9))))
    source = FileSource(folder / f"{name}.mp4")
    try:
        Pipeline(source, with_temporal(restorer, window, False, deconvolve, refine),
                 sink, live=False).run()
    finally:
        source.close()
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", type=Path)
    add_restorer_options(parser)
    add_temporal_options(parser, on_for_files=False)
    args = parser.parse_args(argv)
    window, restorer = temporal_from(args), restorer_from(args)
    everything = []
    print(f"{'clip':24s} {'gain':>7s} {'if object right':>16s} {'footprint':>10s} "
          f"{'its error':>10s}")
    for clip_json in sorted(args.clips.glob("*.json")):
        rows = np.array(score(clip_json, restorer, window, args.deconvolve, args.refine))
        everything.append(rows)
        print(f"{clip_json.stem:24s} {np.mean(rows[:, 1] - rows[:, 0]):+7.2f} "
              f"{np.mean(rows[:, 2] - rows[:, 0]):+16.2f} {rows[:, 3].mean():10.1%} "
              f"{rows[:, 4].mean():10.1%}")
    frames = np.concatenate(everything)
    print(f"{'mean over clips':24s} "
          f"{np.mean([np.mean(r[:, 1] - r[:, 0]) for r in everything]):+7.2f} "
          f"{np.mean([np.mean(r[:, 2] - r[:, 0]) for r in everything]):+16.2f} "
          f"{frames[:, 3].mean():10.1%} {frames[:, 4].mean():10.1%}")
    for label, band in ((f"input < {NEARLY_SHARP_DB:g} dB", frames[:, 0] < NEARLY_SHARP_DB),
                        (f"input >= {NEARLY_SHARP_DB:g} dB", frames[:, 0] >= NEARLY_SHARP_DB)):
        part = frames[band]
        print(f"{label:24s} {np.mean(part[:, 1] - part[:, 0]):+7.2f} "
              f"{np.mean(part[:, 2] - part[:, 0]):+16.2f} {part[:, 3].mean():10.1%} "
              f"{part[:, 4].mean():10.1%}   ({len(part)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
