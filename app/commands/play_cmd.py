"""`deblur play [FILE | --camera N | --url URL] [--model] [--backend]`: the Qt viewer, blurred
and restored side by side. `--measure-responsiveness SECONDS` plays the clip (the bundled
sample by default) without a person and prints the event loop's timer lateness and the
decoded/processed/displayed rates; `--screenshot PNG` saves both compare modes and quits."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from app.commands.options import (add_restorer_options, add_temporal_options,
                                  restorer_settings_from, temporal_from)
from common.sizes import parse_size
from engine.measure.bench import SAMPLE_CLIP
from engine.errors import InputError

SCREENSHOT_AFTER_FRAMES = 8   # let the stats overlay fill before the picture is taken


def register(subparsers) -> None:
    parser = subparsers.add_parser("play", help="watch blurred and restored side by side (Qt)")
    parser.add_argument("input", nargs="?", type=Path, metavar="FILE", help="video file")
    parser.add_argument("--camera", type=int, metavar="N", help="open camera N instead")
    parser.add_argument("--url", help="open a stream (rtsp://, udp://, http(s)://) instead")
    add_restorer_options(parser)
    add_temporal_options(parser, deconvolve=False)   # about a second a frame: not for playback
    parser.add_argument("--split", action="store_true", help="start in split-wipe mode")
    parser.add_argument("--start", type=int, default=0, metavar="FRAME",
                        help="start at this frame of a file")
    parser.add_argument("--size", default="1280x520", help="window size WxH (default 1280x520)")
    parser.add_argument("--measure-responsiveness", type=float, metavar="SECONDS",
                        help="time the event loop offscreen for SECONDS paused, then SECONDS "
                             "playing, and report frame rates (default clip: the bundled "
                             "sample)")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="play offscreen, save both compare modes to PNG and quit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if sum(x is not None for x in (args.input, args.camera, args.url)) > 1:
        raise InputError("play takes at most one of FILE, --camera N or --url URL")
    live = args.camera is not None or args.url is not None
    temporal = temporal_from(args, live)   # a file: on unless --no-temporal
    unattended = args.measure_responsiveness is not None or args.screenshot is not None
    if unattended:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get(
            "WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        raise InputError("no display to open the viewer on (DISPLAY is not set); run it in a "
                         "desktop session, or QT_QPA_PLATFORM=offscreen for a headless check")
    # Qt is imported only here: the other commands never load it.
    from PyQt6.QtWidgets import QApplication

    from app.viewer.automation import measure_responsiveness, run_until, save_screenshot
    from app.viewer.window import ViewerWindow

    app = QApplication.instance() or QApplication(["deblur"])
    window = ViewerWindow(restorer_settings_from(args), temporal)
    window.resize(*parse_size(args.size))
    window.split_action.setChecked(args.split)
    window.show()
    if args.camera is not None:
        window.open_camera(args.camera)
    elif args.url is not None:
        window.open_url(args.url)
    elif args.input is not None or unattended:
        window.open_file(args.input or SAMPLE_CLIP)
        if args.start:
            window.player.seek(args.start)
    hook = sys.excepthook
    sys.excepthook = lambda *error: _report_in_window(window, *error)
    try:
        if args.measure_responsiveness is not None:
            print(measure_responsiveness(window, args.measure_responsiveness).report())
        elif args.screenshot is not None:
            if not run_until(lambda: _played_into(window, args.start), 180):
                raise InputError(f"nothing to screenshot: {window.banner.text or 'no frames'}")
            print(f"saved {save_screenshot(window, args.screenshot)}", file=sys.stderr)
        else:
            app.exec()
    finally:
        sys.excepthook = hook
        window.close()
        window.player.wait(10)
    return 0


def _report_in_window(window, kind, value, trace) -> None:
    """An exception escaping a Qt slot: PyQt would abort the program; the viewer shows it and
    goes on (the traceback goes to stderr for a bug report)."""
    traceback.print_exception(kind, value, trace)
    window.show_error(f"internal error: {kind.__name__}: {value} (details on stderr)")


def _played_into(window, start: int) -> bool:
    """A few frames past `start` are on screen (the overlay has figures to show by then)."""
    info, shown = window.info, window.shown
    if info is None or shown is None:
        return False
    target = start + SCREENSHOT_AFTER_FRAMES
    if info.frame_count:
        target = min(target, info.frame_count - 1)
    return shown.index >= target
