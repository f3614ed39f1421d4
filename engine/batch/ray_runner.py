"""A batch over a Ray cluster: one task per file, each running export_file (the single-file
path) in a worker with the Restorer that worker builds (its own backend and device: `auto`
picks what that machine has), writing the output atomically to the path the driver planned;
so the output folder must be storage every node sees at the same path (NFS, a shared mount).

A worker lost mid-file (its process or its machine) makes Ray run the task again elsewhere,
up to MAX_RETRIES times; the lost attempt's part file is swept by the retry (its PID is gone
and its lock released) or by the next run, and never counts as done. Workers tell a small
actor, pinned to the driver's node, how far each file is; the driver shows the same progress
and summary as a local run. The only module of the package that imports ray."""
from __future__ import annotations

import dataclasses
import logging
import signal
import time

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from engine.batch.job import FAILED, FileResult, export_file, worker_name
from engine.batch.plan import BatchItem, FileOptions
from engine.batch.progress import BatchProgress
from engine.errors import InputError
from engine.stages.restorer import Restorer, RestorerSettings

MAX_RETRIES = 3           # attempts after the first, for a worker or node lost mid-file
REPORT_SECONDS = 0.25     # how often a worker tells the board its frame count
POLL_SECONDS = 0.5        # how often the driver looks
_restorers: dict[str, Restorer] = {}   # per worker process: the model loads once


def connect(address: str) -> str:
    """Join the cluster at `address` ('auto': the one this machine is part of, started with
    `ray start`; 'local': a Ray instance for this job only). Returns what was joined."""
    if not ray.is_initialized():
        # ray.init installs its own SIGTERM handler; ours must stay (a SIGTERM ends the job
        # like Ctrl-C: tasks cancelled, one line, exit 143).
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            ray.init(address=None if address == "local" else address, log_to_driver=False,
                     logging_level=logging.WARNING, configure_logging=False)
        except Exception as exc:   # ConnectionError, a timeout, a bad address ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"--ray {address}: cannot join a Ray cluster there ({first}); "
                             "start one with `ray start --head` or pass its address") from None
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    cpus = ray.cluster_resources().get("CPU", 0)
    return f"Ray cluster of {len(ray.nodes())} node(s), {cpus:g} CPUs"


def with_threads(settings: RestorerSettings, cpus: float) -> RestorerSettings:
    """`settings` with ONNX Runtime on the task's CPUs rather than on every core of its node."""
    onnx = dataclasses.replace(settings.options.onnxruntime, threads=max(1, round(cpus)))
    return dataclasses.replace(
        settings, options=dataclasses.replace(settings.options, onnxruntime=onnx))


@ray.remote(num_cpus=0)
class ProgressBoard:
    """Frames written so far per file, and the workers that attempted it."""

    def __init__(self):
        self.frames: dict[str, int] = {}
        self.workers: dict[str, list[str]] = {}

    def report(self, name: str, frames: int, worker: str) -> None:
        attempts = self.workers.setdefault(name, [])
        if worker not in attempts:
            attempts.append(worker)
        self.frames[name] = frames

    def snapshot(self) -> tuple[dict[str, int], dict[str, list[str]]]:
        return self.frames, self.workers


@ray.remote
def export_task(item: BatchItem, settings: RestorerSettings, options: FileOptions,
                board) -> FileResult:
    key = repr(settings)
    if key not in _restorers:
        _restorers[key] = settings.build()
    worker, last = worker_name(), [0.0]
    board.report.remote(item.name, 0, worker)

    def on_frames(count: int) -> None:
        now = time.monotonic()
        if now - last[0] >= REPORT_SECONDS:
            last[0] = now
            board.report.remote(item.name, count, worker)

    return export_file(item, _restorers[key], options, on_frames)


def run_on_ray(items: list[BatchItem], settings: RestorerSettings, options: FileOptions,
               progress: BatchProgress, cpus: float = 1, gpus: float = 0) -> list[FileResult]:
    """Every item as a task needing `cpus` CPUs and `gpus` GPUs; results in item order.
    Ctrl-C cancels the tasks still running (their part files are swept by the next run)."""
    here = ray.get_runtime_context().get_node_id()
    board = ProgressBoard.options(
        scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)).remote()
    task = export_task.options(num_cpus=cpus, num_gpus=gpus, max_retries=MAX_RETRIES)
    running = {task.remote(item, settings, options, board): item for item in items}
    results: dict[str, FileResult] = {}
    try:
        while running:
            ready, _ = ray.wait(list(running), num_returns=len(running), timeout=POLL_SECONDS)
            frames, workers = ray.get(board.snapshot.remote())
            for name, count in frames.items():
                if name not in results:
                    progress.frames(name, count)
            for ref in ready:
                item = running.pop(ref)
                results[item.name] = _result(ref, item)
                progress.finish(results[item.name], len(workers.get(item.name, [])) or 1)
    except KeyboardInterrupt:
        for ref in running:
            ray.cancel(ref, force=True)
        raise
    return [results[item.name] for item in items]


def _result(ref, item: BatchItem) -> FileResult:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:   # every attempt lost, or the task itself broke
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return FileResult(item.name, result=FAILED,
                          message=f"lost on the cluster after {MAX_RETRIES + 1} attempts "
                                  f"({type(exc).__name__}: {first[:160]})")
