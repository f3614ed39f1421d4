"""Where each video of a batch goes and what is left to do: the input tree mirrored under the
output folder (same names; the container kept where it is one we write, else .mp4), two inputs
meeting at one output or an output that is an input refused up front, and a file whose output
already exists counted as done (only a finished export is renamed into place, so a run that
was interrupted or killed resumes where it stopped; `-y` redoes them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from engine.batch.discover import Found
from engine.errors import InputError
from engine.jobs.outputs import InputSet, refuse_inputs
from engine.sinks.video_writer import default_codec
from engine.jobs.video_export import check_target

OUTPUT_SUFFIXES = (".mp4", ".mkv", ".mov", ".webm")


@dataclass(frozen=True)
class BatchItem:
    source: Path                 # absolute: a Ray worker has another working folder
    output: Path                 # absolute, under the output folder
    name: str                    # the input's path relative to its root, for every message
    frames: int | None = None    # expected, for the progress display (None: unknown)
    problem: str | None = None   # set: the input cannot be read, the file fails unstarted


@dataclass(frozen=True)
class FileOptions:
    """How every file of the batch is written (the options of `deblur export`)."""
    codec: str | None = None     # None: default_codec of each output's container
    crf: int | None = None
    compare: str | None = None
    batch: int | None = None     # frames per inference call (None: what the device likes)
    preset: str | None = None
    overwrite: bool = False      # -y: redo files whose output exists
    temporal: int | None = None  # --temporal --window N (None: single-frame only)
    deconvolve: bool = False     # --deconvolve (inside the temporal stage)
    refine: bool | None = None   # --refine / --no-refine (None: the stage's default)

    def codec_for(self, output: Path) -> str:
        return self.codec or default_codec(output)


@dataclass
class BatchPlan:
    todo: list[BatchItem] = field(default_factory=list)
    done: list[BatchItem] = field(default_factory=list)     # output already there: skipped
    broken: list[BatchItem] = field(default_factory=list)   # unreadable: failed unstarted
    skipped: int = 0                                        # files that are not videos

    @property
    def frames(self) -> int:
        return sum(item.frames or 0 for item in self.todo)


def output_name(name: str, suffix: str | None = None) -> str:
    """The output's path under the output folder for an input named `name` (relative)."""
    path = PurePosixPath(name)
    if suffix:
        return str(path.with_suffix(suffix)) if path.suffix else f"{path}{suffix}"
    if path.suffix.lower() in OUTPUT_SUFFIXES:
        return str(path)
    return str(path.with_suffix(".mp4")) if path.suffix else f"{path}.mp4"


def plan_batch(found: Found, outdir: Path, options: FileOptions,
               suffix: str | None = None) -> BatchPlan:
    """The batch's plan; InputError (nothing started, nothing written but the folders) for an
    output that two inputs would share, that is an input, or that cannot be written."""
    outdir = Path(outdir).absolute()
    plan, owners = BatchPlan(skipped=found.skipped), {}
    inputs = InputSet(c.path for c in found.videos + found.broken)
    for candidate in found.videos + found.broken:
        output = outdir / output_name(candidate.name, suffix)
        if output in owners:
            raise InputError(f"{candidate.path} and {owners[output]} would both be written to "
                             f"{output}; move one of them or give --suffix")
        owners[output] = candidate.path
        refuse_inputs(output, inputs, "choose an output folder outside the inputs")
        item = BatchItem(candidate.path, output, candidate.name, candidate.frames,
                         candidate.problem)
        if item.problem:
            plan.broken.append(item)
        elif output.exists() and not options.overwrite:
            plan.done.append(item)
        else:
            plan.todo.append(item)
    checked = set()
    for item in plan.todo:   # each output folder and container once: a trial encode each
        item.output.parent.mkdir(parents=True, exist_ok=True)
        key = (item.output.parent, item.output.suffix.lower())
        if key not in checked:
            checked.add(key)
            check_target(item.output, True, item.source, options.codec_for(item.output),
                         options.crf, options.preset)
    return plan
