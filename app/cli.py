"""The `deblur` command. Errors the user can fix end in one line on stderr and exit code 2;
an output that fails during the run (disk full) in one line and exit code 1."""
from __future__ import annotations

import argparse
import os
import sys

from app.commands import (bench_cmd, data_cmd, engine_cmd, eval_cmd, export_cmd, grid_cmd,
                          image_cmd, models_cmd, onnx_cmd, play_cmd, synth_cmd, train_cmd)
from engine.errors import BackendUnavailable, InputError, OutputError
from export.errors import ExportError
from models import ModelError
from models.training.errors import FetchError, TrainingError

COMMANDS = (models_cmd, image_cmd, data_cmd, train_cmd, eval_cmd, grid_cmd, synth_cmd,
            bench_cmd, export_cmd, onnx_cmd, engine_cmd, play_cmd)
USER_ERRORS = (ModelError, InputError, BackendUnavailable, FetchError, TrainingError,
               ExportError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deblur", description="Real-time video deblurring.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except USER_ERRORS as exc:
        print(f"deblur: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:   # failed during the run (disk full ...): nothing was kept
        print(f"deblur: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deblur: interrupted", file=sys.stderr)
        # Outputs are already cleaned up by the handlers the interrupt passed through. Leave
        # without finalising the interpreter: FFmpeg or ONNX Runtime threads that are still
        # unwinding can crash it (seen once as a SIGSEGV after this line under heavy load).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


if __name__ == "__main__":
    sys.exit(main())
