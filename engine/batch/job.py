"""One file of a batch, by the same code path as `deblur export FILE -o OUT` (open_source ->
export_video: its plan, its pipeline, its atomic writer), run the same way in this process or
in a Ray worker. A file that fails (corrupt, unreadable, disk full) comes back as a failed
FileResult with one line saying why, so that the job goes on with the next."""
from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common.atomic import sweep_stale
from common.errors import describe_error
from engine.batch.plan import BatchItem, FileOptions
from engine.errors import OutputError
from engine.stages.restorer import Restorer
from engine.sources import open_source
from engine.jobs.video_export import ExportSettings, default_batch, export_video

DONE, SKIPPED, FAILED = "done", "already done", "failed"
# A test hook: "NAME:FRAMES:MARKER" makes the first attempt at NAME (the one that creates the
# file MARKER) SIGKILL its own process after FRAMES frames, as a lost machine would.
KILL_HOOK = "DEBLUR_TEST_KILL_AFTER"


@dataclass
class FileResult:
    name: str
    frames: int = 0
    seconds: float = 0.0
    result: str = DONE
    message: str = ""            # why it failed, or what it adapted (notes)
    corrupt: int = 0             # packets or frames the decoder rejected
    worker: str = ""             # host:pid that wrote it
    notes: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> bool:
        return self.result == FAILED


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def export_file(item: BatchItem, restorer: Restorer, options: FileOptions,
                on_frames: Callable[[int], None] | None = None) -> FileResult:
    """Export `item`; `on_frames(n)` hears how many frames are written so far. The output
    appears only when the whole file succeeded."""
    result = FileResult(item.name, worker=worker_name())
    if item.problem:
        return _failed(result, item.problem)
    if item.output.exists() and not options.overwrite:
        result.result = SKIPPED   # a retried task whose first attempt had finished
        return result
    kill = _kill_hook(item.name)
    started = time.perf_counter()
    try:
        item.output.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(item.output.parent)   # what a killed attempt left (its PID is gone)
        source = open_source(item.source)
        try:
            settings = ExportSettings(options.codec_for(item.output), options.crf,
                                      options.compare,
                                      options.batch or default_batch(restorer.backend.device),
                                      preset=options.preset, temporal=options.temporal,
                                      deconvolve=options.deconvolve, refine=options.refine)

            def heard(stats) -> None:
                if on_frames is not None:
                    on_frames(stats.frames_out)
                if kill is not None and stats.frames_out >= kill:
                    os.kill(os.getpid(), signal.SIGKILL)

            exported = export_video(source, item.output, restorer, settings, on_output=heard)
        finally:
            source.close()
    except Exception as exc:   # the file's own failure: named, and the job goes on
        result.seconds = time.perf_counter() - started
        return _failed(result, str(exc) if isinstance(exc, OutputError)
                       else describe_error(exc))
    result.seconds = time.perf_counter() - started
    result.frames, result.corrupt = exported.stats.frames_out, exported.stats.corrupt
    result.notes = exported.notes
    return result


def _failed(result: FileResult, why: str) -> FileResult:
    result.result, result.message = FAILED, why
    return result


def _kill_hook(name: str) -> int | None:
    """FRAMES when the test hook names this file and this is its first attempt, else None."""
    spec = os.environ.get(KILL_HOOK)
    if not spec:
        return None
    target, frames, marker = spec.split(":", 2)
    if target != name:
        return None
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None
    return int(frames)
