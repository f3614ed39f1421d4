"""Batch-export throughput, local against Ray, in one run (`deblur bench --batch-files N`): N
short clips cut from one video, exported by the local runner (one process, the model loaded
once) and by the Ray runner on a local cluster of W workers (each task its share of the CPUs),
with Ray's cost stated per file: the worker-seconds of the Ray run not spent inside the
exports, divided by the files (scheduling, the worker processes' start and model load, the
progress reports), and the cluster's start apart."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import av

from engine.batch.discover import find_videos
from engine.batch.job import FileResult
from engine.batch.local import run_local
from engine.batch.plan import FileOptions, plan_batch
from engine.batch.progress import BatchProgress
from engine.stages.restorer import RestorerSettings


def cut_clips(source: Path, folder: Path, files: int, frames: int) -> list[Path]:
    """`files` clips of `frames` frames each, taken in turn from `source` (from its start
    again where it runs out), H.264 ultrafast so that cutting costs little."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        pictures = [f.to_ndarray(format="rgb24") for _, f in
                    zip(range(files * frames), container.decode(stream))]
        rate = stream.average_rate or 25
    paths = []
    for k in range(files):
        path = folder / f"clip{k}.mp4"
        with av.open(str(path), "w") as out:
            video = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
            video.height, video.width = pictures[0].shape[:2]
            video.pix_fmt = "yuv420p"
            for i in range(frames):
                picture = pictures[(k * frames + i) % len(pictures)]
                out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
            out.mux(video.encode(None))
        paths.append(path)
    return paths


def _plan(clips: Path, outdir: Path):
    return plan_batch(find_videos([clips], exclude=outdir), outdir, FileOptions())


def _quiet(items) -> BatchProgress:
    return BatchProgress(items, open(os.devnull, "w"))


def _row(results: list[FileResult], wall: float, workers: int) -> dict:
    frames = sum(r.frames for r in results)
    inside = sum(r.seconds for r in results)
    return {"files": len(results), "frames": frames, "wall_s": round(wall, 2),
            "files_per_hour": round(len(results) * 3600 / wall, 1),
            "fps": round(frames / wall, 2), "export_s_per_file": round(inside / len(results), 2),
            "failed": sum(r.failed for r in results),
            "overhead_s_per_file": round((workers * wall - inside) / len(results), 2)}


def batch_benchmark(source: Path, files: int, frames: int, workers: int,
                    settings: RestorerSettings) -> dict:
    """{'local': ..., 'ray': ..., 'ray_start_s': ...}, both over the same clips."""
    import ray   # only this measurement needs it
    from engine.batch.ray_runner import run_on_ray, with_threads
    with tempfile.TemporaryDirectory(prefix="deblur-batch-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "clips").mkdir()
        cut_clips(source, tmp / "clips", files, frames)
        restorer = settings.build()
        plan = _plan(tmp / "clips", tmp / "local")
        started = time.perf_counter()
        local = run_local(plan.todo, restorer, FileOptions(), _quiet(plan.todo))
        local_wall = time.perf_counter() - started
        description = restorer.description
        del restorer

        cpus = max(1, (os.cpu_count() or 1) // workers)
        ray_settings = with_threads(settings, cpus)
        started = time.perf_counter()
        ray.init(num_cpus=workers * cpus, include_dashboard=False, log_to_driver=False)
        try:
            ray_start = time.perf_counter() - started
            plan = _plan(tmp / "clips", tmp / "ray")
            started = time.perf_counter()
            remote = run_on_ray(plan.todo, ray_settings, FileOptions(), _quiet(plan.todo),
                                cpus=cpus)
            ray_wall = time.perf_counter() - started
        finally:
            ray.shutdown()
    return {"clip": f"{files} clips x {frames} frames of {source.name}",
            "restorer": description, "workers": workers, "cpus_per_worker": cpus,
            "local": _row(local, local_wall, 1), "ray": _row(remote, ray_wall, workers),
            "ray_start_s": round(ray_start, 2)}
