"""`deblur export INPUT -o OUTPUT`: restore a video file, keeping its sound, subtitles, timing
and colour; `--camera N` or `--url URL` records a live source for `--duration` seconds.
Exit codes: 0 done; 1 a live source was lost mid-run (what was recorded is kept) or writing
failed mid-run (disk full: nothing is kept); 2 nothing could be done (one line says why, no
output is left behind); 130 Ctrl-C, 143 SIGTERM (nothing is kept)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands import export_batch
from app.commands.options import (add_restorer_options, add_temporal_options, refines,
                                  restorer_from, temporal_from)
from common.sizes import parse_size
from engine.errors import InputError
from engine.measure.evaluation import describe_severity
from engine.jobs.export_plan import plan_export
from engine.jobs.outputs import sweep_note
from engine.sinks.compare import MODES
from engine.measure.exported_clips import score_decoded
from engine.sinks.video_writer import CODECS, X26X_PRESETS, default_codec
from engine.sources import STREAM_SCHEMES, open_source
from engine.pipeline.stats import PipelineStats
from engine.jobs.video_export import ExportSettings, check_target, default_batch, export_video


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="restore a video file, a camera or a stream")
    parser.add_argument("input", nargs="*", metavar="INPUT",
                        help="video file (a stream URL here counts as --url); several, a "
                             "folder or a glob with -o OUTDIR: a batch")
    parser.add_argument("--camera", type=int, metavar="N", help="record camera N instead")
    parser.add_argument("--url", help="record a stream (rtsp://, udp://, http(s)://) instead")
    parser.add_argument("--duration", type=float, metavar="SECONDS",
                        help="how long to record a camera or stream (required for them)")
    parser.add_argument("--camera-size", metavar="WxH", help="size to ask the camera for")
    parser.add_argument("--camera-fps", type=float, metavar="FPS",
                        help="frame rate to ask the camera for")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT",
                        help="output video (the container follows the extension), or the "
                             "folder a batch's outputs go to")
    add_restorer_options(parser)
    add_temporal_options(parser)
    parser.add_argument("--codec",
                        help=f"video encoder: {', '.join(CODECS)} (default: libx264, or what "
                             "the container takes, e.g. libvpx-vp9 for .webm)")
    parser.add_argument("--crf", type=int, help="constant quality (default 18; lower is better)")
    parser.add_argument("--preset", choices=X26X_PRESETS,
                        help="x264/x265 speed preset (default: medium for files, veryfast "
                             "for live recording; faster leaves more CPU to inference)")
    parser.add_argument("--compare", choices=MODES, help="write before/after instead")
    parser.add_argument("--reference", type=Path, metavar="SHARP_VIDEO",
                        help="ground-truth video: report PSNR of input and output against it")
    parser.add_argument("--batch", type=int, help="frames per inference call (default: 4 on a "
                        "GPU, 1 on a CPU)")
    parser.add_argument("-y", "--overwrite", action="store_true", help="replace OUTPUT")
    export_batch.add_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if export_batch.wants_batch(args):
        return export_batch.run(args)
    args.input = args.input[0] if args.input else None
    if sum(x is not None for x in (args.input, args.camera, args.url)) != 1:
        raise InputError("export needs exactly one of INPUT, --camera N or --url URL")
    if args.input is not None and args.input.startswith(STREAM_SCHEMES):
        args.url, args.input = args.input, None
    args.input = Path(args.input) if args.input is not None else None
    live = args.camera is not None or args.url is not None
    if live and not args.duration:
        raise InputError("recording a camera or stream needs --duration SECONDS")
    window = temporal_from(args, live)
    args.codec = args.codec or default_codec(args.output)
    check_target(args.output, args.overwrite, args.input, args.codec, args.crf, args.preset,
                 also_read=[args.reference])
    if note := sweep_note(args.output.parent):
        print(f"deblur: {note}", file=sys.stderr)
    # A file or camera is opened first, so a bad one is named before the model loads; a
    # stream last, so that FFmpeg's receive buffer does not fill with stale frames meanwhile.
    camera_size = parse_size(args.camera_size, "--camera-size") if args.camera_size else None
    source = None if args.url else open_source(args.input, camera=args.camera,
                                                camera_size=camera_size,
                                                camera_fps=args.camera_fps)
    try:
        # What the output keeps (sound, subtitles, depth, HDR) is settled and said before the
        # model loads; a stream, opened only after it, is planned when the export starts.
        plan = plan_export(source, args.output, args.codec, args.compare) if source else None
        early = plan.notes if plan is not None else []
        for note in early:
            print(f"deblur: {note}", file=sys.stderr)
        restorer = restorer_from(args)
        source = source or open_source(url=args.url)
        for note in source.notes:
            print(f"deblur: {note}", file=sys.stderr)
        temporal = (f" + temporal reference (window {window}"
                    f"{', multi-frame deconvolution' if args.deconvolve else ''}"
                    f"{', fusion refiner' if refines(args) else ''})"
                    if window else "")
        print(f"restoring {source.name} with {restorer.description}{temporal} -> "
              f"{args.output}", file=sys.stderr)
        settings = ExportSettings(args.codec, args.crf, args.compare,
                                  args.batch or default_batch(restorer.backend.device),
                                  args.duration, args.reference, args.preset, plan, window,
                                  args.deconvolve, args.refine)
        with tqdm(total=source.frame_count, unit="frame", disable=None, file=sys.stderr) as bar:
            result = export_video(source, args.output, restorer, settings,
                                  on_output=lambda stats: _progress(bar, stats))
    finally:
        if source is not None:
            source.close()
    for note in result.notes:
        if note not in early:
            print(f"deblur: {note}", file=sys.stderr)
    print(f"{result.stats.summary()} -> {result.output}", file=sys.stderr)
    if result.scores:
        s = result.scores
        print(f"PSNR against {args.reference} over {s['frames']} frames: input "
              f"{s['psnr_input']:.2f} dB, restored {s['psnr_output']:.2f} dB "
              f"({s['psnr_output'] - s['psnr_input']:+.2f} dB)")
        print(describe_severity(s["by_input"]))
        if args.input is not None and not args.compare and not result.stats.ended_early:
            # what the user keeps: the file as the encoder wrote it, read back
            written = score_decoded(args.input, result.output, args.reference)
            print(f"the file as written ({args.codec}): restored {written['psnr_output']:.2f} "
                  f"dB ({written['gain']:+.2f} dB over the input; the encoder took "
                  f"{s['psnr_output'] - written['psnr_output']:.2f} dB)")
    if result.stats.ended_early:
        print(f"deblur: {result.stats.ended_early}; the recording so far is kept in "
              f"{result.output}", file=sys.stderr)
        return 1
    return 0


def _progress(bar: tqdm, stats: PipelineStats) -> None:
    bar.update(1)
    if stats.dropped or stats.corrupt:
        bar.set_postfix(dropped=stats.dropped, corrupt=stats.corrupt, refresh=False)
