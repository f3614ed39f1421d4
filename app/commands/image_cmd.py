"""`deblur image INPUT... -o OUTDIR`: restore image files or folders of them to PNGs of the
same size and name. A bad file is reported in one line and skipped; the rest are processed;
the exit code is 2 when anything was skipped. An output that would overwrite an input, or
two inputs that would share an output name, refuse the whole run up front (exit 2)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands.options import add_restorer_options, restorer_from
from engine.errors import InputError, OutputError
from engine.jobs.images import expand_inputs, output_plan, read_image, write_png
from engine.jobs.outputs import check_folder, check_space, os_error_line, sweep_note


def register(subparsers) -> None:
    parser = subparsers.add_parser("image", help="restore image files or folders to PNGs")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                        help="image files or folders of images")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                        help="folder for the restored PNGs (created if missing)")
    add_restorer_options(parser)
    parser.add_argument("-y", "--overwrite", action="store_true",
                        help="replace PNGs that already exist in OUTDIR")
    parser.set_defaults(run=run)


def _report(message: str) -> None:
    tqdm.write(f"deblur: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    paths, problems = expand_inputs(args.inputs)
    for problem in problems:
        _report(problem)
    if not paths:
        return 2
    if args.output.exists() and not args.output.is_dir():
        raise InputError(f"{args.output}: exists and is not a folder")
    plan = output_plan(paths, args.output)   # no input is ever overwritten
    check_folder(args.output)
    if note := sweep_note(args.output):
        _report(note)
    check_space(args.output, sum(path.stat().st_size for path, _ in plan))   # PNG >= input
    restorer = restorer_from(args)   # a missing model stops here, before output
    print(f"restoring {len(plan)} image(s) with {restorer.description}", file=sys.stderr)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(os_error_line(args.output, exc)) from None

    skipped = done = 0
    for path, target in tqdm(plan, unit="img", disable=None):
        reason = None
        if target.exists() and not args.overwrite:
            reason = f"{target}: exists; pass -y to overwrite"
        if reason is None:
            try:
                image = read_image(path)
                if image.note:
                    _report(image.note)
                write_png(target, restorer.restore(image.rgb), image)
            except InputError as exc:
                reason = str(exc)
            except OSError as exc:   # disk full, file system gone: the rest would fail too
                raise OutputError(os_error_line(target, exc, f" after {done} image(s) were "
                                                "written")) from None
            done += reason is None
        if reason is not None:
            _report(reason)
            skipped += 1
    print(f"{len(plan) - skipped} restored, {skipped} skipped -> {args.output}",
          file=sys.stderr)
    return 2 if skipped or problems else 0
