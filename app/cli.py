"""The `deblur` command. Errors the user can fix end in one line on stderr and exit code 2;
an output that fails during the run (disk full) in one line and exit code 1. SIGTERM and
SIGHUP end a run like Ctrl-C (temporary files removed, one line) with 128 + the signal."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from app.commands import (bench_cmd, data_cmd, engine_cmd, eval_cmd, export_cmd, grid_cmd,
                          image_cmd, models_cmd, onnx_cmd, play_cmd, synth_cmd, train_cmd,
                          train_refiner_cmd)
from common.errors import UserError
from engine.errors import OutputError

COMMANDS = (models_cmd, image_cmd, data_cmd, train_cmd, train_refiner_cmd, eval_cmd, grid_cmd,
            synth_cmd, bench_cmd, export_cmd, onnx_cmd, engine_cmd, play_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deblur", description="Real-time video deblurring.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a timeout, systemd, a container stop, a closed terminal), raised in
    the main thread like Ctrl-C, so that every handler on the way removes its temporary file."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame) -> None:
    signal.signal(signum, signal.SIG_IGN)   # a second one must not cut the clean-up short
    raise Terminated(signum)


def _catch_termination() -> dict:
    """Only where the default would kill us silently: nohup's SIG_IGN and an embedder's own
    handler are kept. Returns what to restore."""
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _terminate)
    return previous


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = {}
    if args.command != "play" and threading.current_thread() is threading.main_thread():
        previous = _catch_termination()   # the viewer's Qt loop has its own way out
    try:
        return _run(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.run(args)
    except UserError as exc:
        print(f"deblur: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:   # failed during the run (disk full ...): nothing was kept
        print(f"deblur: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print("deblur: interrupted" if signum == signal.SIGINT else
              f"deblur: terminated ({signal.Signals(signum).name}); nothing half-written was "
              "kept", file=sys.stderr)
        # Outputs are already cleaned up by the handlers the interrupt passed through. Leave
        # without finalising the interpreter: FFmpeg or ONNX Runtime threads that are still
        # unwinding can crash it (seen once as a SIGSEGV after this line under heavy load).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)   # 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP


if __name__ == "__main__":
    sys.exit(main())
