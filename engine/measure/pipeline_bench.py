"""Measurements for the video pipeline's targets, each a ratio or a difference against a
reference taken in the same run, on the same frames:

- export throughput: `deblur export` of a clip against the backend's bare inference on the
  same decoded frames (target: >= 90 %, decode and encode hidden behind inference);
- memory: process RSS sampled along a long export (target: flat);
- live latency: capture -> output latency of a real-time source through the live pipeline,
  minus the inference time, in frame intervals (target: <= 2).

`deblur bench --pipeline --size 640x360 --frames 100` runs all three (pipeline_report)."""
from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.measure.bench import bench_frames, machine_description
from engine.frames import Frame
from engine.pipeline import Pipeline
from engine.stages.restorer import Restorer
from engine.sources import Source
from engine.sources.file import FileSource
from engine.jobs.video_export import LIVE_PRESET, ExportSettings, export_video

PARTS = ("throughput", "memory", "latency")


def write_clip(path: Path, frames: np.ndarray, count: int, rate: int = 25) -> Path:
    """An H.264 clip of `count` frames cycling through `frames` (the sample's content)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate, options={"crf": "18", "preset": "fast"})
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _timed(run, in_thread: bool = False) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) taken by run(), called here or in a fresh
    thread: the pipeline infers in a thread of its own, and some backends' speed depends on
    the calling thread (PyTorch's CPU thread pools are per calling thread)."""
    cpu, wall = time.process_time(), time.perf_counter()
    if in_thread:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    else:
        run()
    return time.perf_counter() - wall, time.process_time() - cpu


def export_throughput(restorer: Restorer, width: int, height: int, frames: int = 100,
                      batch: int = 1, codec: str = "libx264", repeats: int = 3,
                      preset: str | None = None) -> dict:
    """Export fps against bare inference fps on the same decoded frames, each inferring in a
    fresh thread. The two alternate (bare, export, bare, ... bare) and the medians are
    compared, so drift on a shared machine favours neither; CPU time per frame shows the
    decode + encode cost apart from the load."""
    with tempfile.TemporaryDirectory() as folder:
        clip = write_clip(Path(folder) / "clip.mp4", bench_frames(width, height), frames)
        source = FileSource(clip)
        decoded = [f.rgb for f in source]
        source.close()

        def bare() -> None:
            for k in range(0, frames, batch):
                restorer.restore_batch(np.stack(decoded[k:k + batch]))

        def export() -> None:
            source = FileSource(clip)
            export_video(source, Path(folder) / "out.mp4", restorer,
                         ExportSettings(codec=codec, batch_size=batch, preset=preset))
            source.close()
        restorer.restore_batch(np.stack(decoded[:batch]))   # warm-up
        bares, exports = [_timed(bare, in_thread=True)], []
        for _ in range(repeats):
            exports.append(_timed(export))
            bares.append(_timed(bare, in_thread=True))
    bare_wall, bare_cpu = np.median(bares, axis=0)
    export_wall, export_cpu = np.median(exports, axis=0)
    return {"what": "export throughput / bare inference", "size": f"{width}x{height}",
            "frames": frames, "batch": batch, "codec": codec, "preset": preset or "default",
            "repeats": repeats,
            "bare_fps": round(frames / bare_wall, 2), "export_fps": round(frames / export_wall, 2),
            "bare_fps_runs": [round(frames / w, 2) for w, _ in bares],
            "export_fps_runs": [round(frames / w, 2) for w, _ in exports],
            "ratio": round(bare_wall / export_wall, 3),
            "bare_cpu_ms_per_frame": round(1000 * bare_cpu / frames, 1),
            "export_cpu_ms_per_frame": round(1000 * export_cpu / frames, 1)}


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_over_run(restorer: Restorer, width: int = 64, height: int = 48,
                    frames: int = 10_000, samples: int = 20) -> dict:
    """RSS at evenly spaced points of a long export; growth from the first tenth to the end."""
    every = max(1, frames // samples)
    trace: list[tuple[int, float]] = []

    def sample(stats) -> None:
        if stats.frames_out % every == 0:
            trace.append((stats.frames_out, round(rss_mb(), 1)))
    with tempfile.TemporaryDirectory() as folder:
        clip = write_clip(Path(folder) / "long.mp4", bench_frames(width, height), frames)
        source = FileSource(clip)
        started = time.perf_counter()
        export_video(source, Path(folder) / "out.mp4", restorer, ExportSettings(),
                     on_output=sample)
        seconds = time.perf_counter() - started
        source.close()
    settled = next(mb for n, mb in trace if n >= frames // 10)
    return {"what": "RSS along a long export", "size": f"{width}x{height}", "frames": frames,
            "seconds": round(seconds, 1), "rss_mb": " ".join(f"{n}:{mb}" for n, mb in trace),
            "rss_first_tenth_mb": settled,
            "rss_end_mb": trace[-1][1], "growth_mb": round(trace[-1][1] - settled, 1)}


class PacedSource(Source):
    """A live source delivering frames at `rate` in real time, stamped at delivery (a camera
    without the camera)."""
    live, name = True, "paced frames"

    def __init__(self, frames: np.ndarray, rate: float, seconds: float):
        self.frames, self.rate, self.seconds = frames, rate, seconds
        self.time_base = Fraction(1, 90000)

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        for i in range(int(self.seconds * self.rate)):
            time.sleep(max(0.0, start + i / self.rate - time.monotonic()))
            now = time.monotonic()
            yield Frame(self.frames[i % len(self.frames)], round((now - start) * 90000),
                        self.time_base, i, now)

    def close(self) -> None:
        pass


def live_latency(restorer: Restorer, width: int, height: int, rate: float,
                 seconds: float = 10.0, preset: str | None = LIVE_PRESET) -> dict:
    """Latency the live pipeline adds to each frame beyond that frame's own inference call
    (waiting in the slots, hand-offs, the sink), in frame intervals, with a real encoder as
    the sink (recording a camera)."""
    from engine.sinks.video_writer import VideoWriter
    source = PacedSource(bench_frames(width, height), rate, seconds)
    with tempfile.TemporaryDirectory() as folder:
        writer = VideoWriter(Path(folder) / "live.mp4", time_base=source.time_base,
                             rate=Fraction(rate).limit_denominator(1001), preset=preset)
        restorer.restore_batch(source.frames[:1])   # warm-up
        stats = Pipeline(source, restorer,
                         lambda frame: writer.write(frame.restored, frame.pts)).run()
        writer.close()
    interval_ms = 1000 / rate
    return {"what": "live latency beyond inference", "size": f"{width}x{height}",
            "rate": rate, "seconds": seconds, "preset": preset or "default",
            "frames_in": stats.frames_in,
            "frames_out": stats.frames_out, "dropped": stats.dropped,
            "inference_ms": round(1000 * stats.infer_seconds / max(stats.inferred, 1), 1),
            "latency_p50_ms": round(stats.latency_ms(50), 1),
            "latency_p95_ms": round(stats.latency_ms(95), 1),
            "added_p50_ms": round(stats.overhead_ms(50), 1),
            "added_p95_ms": round(stats.overhead_ms(95), 1),
            "added_p50_intervals": round(stats.overhead_ms(50) / interval_ms, 2),
            "added_p95_intervals": round(stats.overhead_ms(95) / interval_ms, 2)}


def pipeline_report(restorer: Restorer, width: int, height: int, frames: int = 100,
                    batch: int = 1, repeats: int = 3, preset: str | None = None,
                    rate: float | None = None, memory_size: tuple[int, int] = (64, 48),
                    memory_frames: int = 10_000, only: str | None = None) -> dict:
    """The three measurements (or `only` one of PARTS) in one report. The live source runs at
    `rate` fps, by default about 80 % of the bare inference fps just measured."""
    report = {"machine": machine_description(), "path": restorer.description}
    if only in (None, "throughput"):
        report["throughput"] = export_throughput(restorer, width, height, frames, batch,
                                                 repeats=repeats, preset=preset)
    if only in (None, "latency"):
        rate = rate or round(0.8 * report.get("throughput", {}).get("bare_fps", 10), 1)
        report["latency"] = live_latency(restorer, width, height, rate,
                                         preset=preset or LIVE_PRESET)
    if only in (None, "memory"):
        report["memory"] = memory_over_run(restorer, *memory_size, memory_frames)
    return report
