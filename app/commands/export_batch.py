"""`deblur export DIR|GLOB|FILES... -o OUTDIR [--ray ADDRESS|auto|local]`: many videos in one
job (engine.batch), on this machine or one Ray task per file over a cluster. Exit codes: 0
every video done (or done before), 1 some failed (each named in one line; the others are
done), 2 nothing could be started (a missing input, no video found, an unwritable output
folder), 130 Ctrl-C (finished files are kept; a rerun skips them)."""
from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

from app.commands.options import restorer_from, restorer_settings_from, temporal_from
from engine.batch.discover import VIDEO_SUFFIXES, find_videos
from engine.batch.job import FAILED, SKIPPED, FileResult
from engine.batch.local import run_local
from engine.batch.plan import BatchPlan, FileOptions, plan_batch
from engine.batch.progress import BatchProgress
from engine.batch.summary import exit_code, summary_table
from engine.errors import InputError
from engine.jobs.outputs import sweep_note
from engine.sources import STREAM_SCHEMES

SINGLE_ONLY = (("camera", "--camera"), ("url", "--url"), ("duration", "--duration"),
               ("reference", "--reference"))


def add_options(parser: argparse.ArgumentParser) -> None:
    batch = parser.add_argument_group("many videos (several inputs, a folder, a glob, or -o "
                                      "to a folder)")
    batch.add_argument("--ray", metavar="ADDRESS|auto|local",
                       help="spread the files over a Ray cluster, one task per file (auto: "
                            "the cluster this machine joined with `ray start`; local: one "
                            "for this job); outputs must be on storage every node shares")
    batch.add_argument("--ray-cpus", type=float, default=1, metavar="N",
                       help="CPUs each file's task takes (default 1; also its onnxruntime "
                            "threads unless --threads)")
    batch.add_argument("--ray-gpus", type=float, default=0, metavar="N",
                       help="GPUs each file's task takes, e.g. 1 or 0.5 (default 0)")
    batch.add_argument("--suffix", metavar=".EXT",
                       help="container of every output (default: the input's where it is "
                            ".mp4, .mkv, .mov or .webm, else .mp4)")


def wants_batch(args: argparse.Namespace) -> bool:
    """Several inputs, a folder, a glob, `-o` naming a folder, or --ray."""
    inputs = args.input or []
    return (len(inputs) > 1 or args.ray is not None or args.output.is_dir()
            or str(args.output).endswith("/")
            or any(Path(i).is_dir() or (not Path(i).exists() and glob.has_magic(i)
                                        and not i.startswith(STREAM_SCHEMES))
                   for i in inputs))


def run(args: argparse.Namespace) -> int:
    for attribute, flag in SINGLE_ONLY:
        if getattr(args, attribute) is not None:
            raise InputError(f"{flag} goes with one input file, not a batch of them")
    if not args.input:
        raise InputError("export needs INPUT: a video, a folder or a glob")
    outdir = args.output
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir}: is a file; several inputs need an output folder")
    if not outdir.exists() and outdir.suffix.lower() in VIDEO_SUFFIXES:
        raise InputError(f"{outdir}: a batch writes into a folder; name one without a video "
                         "extension (e.g. restored/)")
    if args.suffix and not args.suffix.startswith("."):
        args.suffix = "." + args.suffix
    for given in map(Path, args.input):
        if given.is_dir() and given.resolve().is_relative_to(outdir.resolve()):
            raise InputError(f"{outdir}: holds the input folder {given}; choose an output "
                             "folder outside the inputs")
    found = find_videos(args.input, exclude=outdir)
    if not found.videos and not found.broken:
        raise InputError(f"no video found in {' '.join(args.input)} ({found.skipped} other "
                         "files looked at)")
    options = FileOptions(args.codec, args.crf, args.compare, args.batch, args.preset,
                          args.overwrite, temporal_from(args), args.deconvolve, args.refine)
    plan = plan_batch(found, outdir, options, args.suffix)
    _sweep(plan)
    for item in plan.broken:
        print(f"deblur: {item.name}: {FAILED}: {item.problem}", file=sys.stderr)
    print(_header(plan, outdir), file=sys.stderr)
    started = time.perf_counter()
    try:
        results = _run_files(args, plan, options) if plan.todo else []
    except KeyboardInterrupt:
        print("deblur: the files finished so far are kept; the same command again does the "
              "rest", file=sys.stderr)
        raise
    _sweep(plan)   # a lost Ray attempt's part file, where its retry ran on another node
    by_name = {r.name: r for r in results}
    ordered = ([by_name[i.name] for i in plan.todo]
               + [FileResult(i.name, result=SKIPPED) for i in plan.done]
               + [FileResult(i.name, result=FAILED, message=i.problem) for i in plan.broken])
    print(summary_table(ordered, time.perf_counter() - started, plan.skipped))
    return exit_code(ordered)


def need_ray(flag: str):
    """engine.batch.ray_runner, or a one-line InputError saying how to install Ray."""
    try:
        from engine.batch import ray_runner
    except ImportError:
        raise InputError(f"{flag} needs Ray: pip install 'deblur[cluster]' (on every node)") \
            from None
    return ray_runner


def _sweep(plan: BatchPlan) -> None:
    """Remove the part files killed runs left in the output folders (engine.jobs.outputs)."""
    for folder in sorted({item.output.parent for item in plan.todo}):
        if note := sweep_note(folder):
            print(f"deblur: {note}", file=sys.stderr)


def _header(plan: BatchPlan, outdir: Path) -> str:
    frames = f", about {plan.frames} frames" if plan.frames else ""
    extra = [f"{len(plan.done)} already done" if plan.done else "",
             f"{len(plan.broken)} unreadable" if plan.broken else "",
             f"{plan.skipped} other files skipped" if plan.skipped else ""]
    return (f"batch: {len(plan.todo)} videos to restore{frames} -> {outdir}"
            + "".join(f"; {e}" for e in extra if e))


def _run_files(args: argparse.Namespace, plan: BatchPlan,
               options: FileOptions) -> list[FileResult]:
    if args.ray is None:
        restorer = restorer_from(args)
        print(f"restoring with {restorer.description}", file=sys.stderr)
        progress = BatchProgress(plan.todo)
        try:
            return run_local(plan.todo, restorer, options, progress)
        finally:
            progress.close()
    ray_runner = need_ray("--ray")
    print(f"deblur: {ray_runner.connect(args.ray)}; each worker picks its backend "
          f"({args.backend}) and device", file=sys.stderr)
    settings = restorer_settings_from(args)
    if args.threads is None:   # each task's share of its machine, not the whole machine
        settings = ray_runner.with_threads(settings, args.ray_cpus)
    progress = BatchProgress(plan.todo)
    try:
        return ray_runner.run_on_ray(plan.todo, settings, options, progress,
                                     args.ray_cpus, args.ray_gpus)
    finally:
        progress.close()
