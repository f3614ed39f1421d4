"""A batch on this machine: the files one after another through one Restorer (the model loads
once), each by the single-file export path. Ctrl-C ends the file in progress like a single
export (nothing half-written kept); the files finished before it stay, and a rerun skips them."""
from __future__ import annotations

from engine.batch.job import FileResult, export_file
from engine.batch.plan import BatchItem, FileOptions
from engine.batch.progress import BatchProgress
from engine.stages.restorer import Restorer


def run_local(items: list[BatchItem], restorer: Restorer, options: FileOptions,
              progress: BatchProgress) -> list[FileResult]:
    results = []
    for item in items:
        result = export_file(item, restorer, options,
                             on_frames=lambda count, name=item.name: progress.frames(name, count))
        progress.finish(result)
        results.append(result)
    return results
