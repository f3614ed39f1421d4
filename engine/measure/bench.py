"""Inference benchmark: a backend against the reference path, measured in the same run.

The reference path is what the original DeblurGAN-v2 predict script does: eager fp32 PyTorch,
one frame at a time, host-side float normalisation, zero padding to (h // 32 + 1) * 32 and
(w // 32 + 1) * 32. Each path runs in its own spawned process, so its peak memory is its own
and one path's allocator caches cannot flatter the other."""
from __future__ import annotations

import multiprocessing
import os
import platform
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

SAMPLE_CLIP = Path(__file__).resolve().parents[2] / "samples" / "city_shake.mp4"
DISTINCT_FRAMES = 24   # decoded once and cycled, so decoding is not what is measured


@dataclass(frozen=True)
class BenchRequest:
    model: str
    backend: str
    device: str | None
    width: int
    height: int
    frames: int
    batch: int = 1
    warmup: int = 5


@dataclass(frozen=True)
class PathResult:
    path: str               # what ran: "fast-model on onnxruntime (cpu, fp32)" or "reference"
    latency_ms_median: float
    latency_ms_p95: float
    fps: float
    peak_memory_mb: float   # process RSS peak on the CPU; torch's allocator peak on CUDA
    memory_kind: str


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    description = f"{cpu}, {os.cpu_count()} cores"
    import torch
    if torch.cuda.is_available():
        description += f", GPU {torch.cuda.get_device_name()}"
    return description


def bench_frames(width: int, height: int, count: int = DISTINCT_FRAMES) -> np.ndarray:
    """Real frames of the bundled blurred clip, resized to width x height (uint8 N x H x W x 3)."""
    import cv2
    from engine.sources.file import FileSource
    source = FileSource(SAMPLE_CLIP)
    frames = []
    try:
        for frame in source:
            frames.append(cv2.resize(frame.rgb, (width, height), interpolation=cv2.INTER_AREA))
            if len(frames) == count:
                break
    finally:
        source.close()
    return np.stack(frames)


def run_benchmark(request: BenchRequest) -> dict:
    """Both paths, each in a fresh process; returns the results, the ratio and the machine."""
    context = multiprocessing.get_context("spawn")
    results = {}
    for path in ("candidate", "reference"):
        with context.Pool(1) as pool:
            results[path] = pool.apply(_measure_in_child, (request, path))
    candidate, reference = results["candidate"], results["reference"]
    return {"request": asdict(request), "machine": machine_description(),
            "candidate": asdict(candidate), "reference": asdict(reference),
            "throughput_ratio": candidate.fps / reference.fps}


def _measure_in_child(request: BenchRequest, path: str) -> PathResult:
    import torch
    frames = bench_frames(request.width, request.height)
    if path == "candidate":
        from engine.stages.restorer import Restorer
        restorer = Restorer(request.model, request.backend, request.device)
        name, device, batch = restorer.description, restorer.backend.device, request.batch
        run = restorer.restore_batch
    else:
        name, device, batch = "reference (eager fp32, one frame, zero pad to h//32+1)", None, 1
        run = ReferencePath(request.model, request.device)
        device = run.device
    on_cuda = str(device).startswith("cuda")
    memory = _CudaPeak(device) if on_cuda else _RssPeak()
    for i in range(request.warmup):
        run(_batch_at(frames, i, batch))
    memory.start()
    latencies = []
    calls = max(1, request.frames // batch)
    started = time.perf_counter()
    for i in range(calls):
        t0 = time.perf_counter()
        run(_batch_at(frames, i, batch))      # every backend returns host arrays: synchronised
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    peak, kind = memory.stop()
    latencies_ms = sorted(1000 * t for t in latencies)
    return PathResult(path=name, latency_ms_median=statistics.median(latencies_ms),
                      latency_ms_p95=latencies_ms[min(len(latencies_ms) - 1,
                                                      int(0.95 * len(latencies_ms)))],
                      fps=calls * batch / elapsed, peak_memory_mb=peak, memory_kind=kind)


def _batch_at(frames: np.ndarray, index: int, batch: int) -> np.ndarray:
    picks = [(index * batch + k) % len(frames) for k in range(batch)]
    return frames[picks]


class ReferencePath:
    """The original predict script's way: float normalisation and zero padding on the host,
    eager fp32 module, one frame per call."""

    def __init__(self, model: str, device: str | None):
        import torch
        import models
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        loaded = models.load(model, device=self.device)
        self.module = loaded.module.eval()
        self.low, self.high = loaded.spec.input_range

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        import torch
        out = []
        for frame in frames:
            height, width = frame.shape[:2]
            scaled = frame.astype(np.float32) / 255.0 * (self.high - self.low) + self.low
            padded = np.pad(scaled, ((0, (height // 32 + 1) * 32 - height),
                                     (0, (width // 32 + 1) * 32 - width), (0, 0)),
                            mode="constant", constant_values=0)
            x = torch.from_numpy(np.ascontiguousarray(padded.transpose(2, 0, 1)))[None]
            with torch.no_grad():
                y = self.module(x.to(self.device))[0].cpu().numpy()
            y = (y.transpose(1, 2, 0)[:height, :width] - self.low) / (self.high - self.low)
            out.append((np.clip(y, 0, 1) * 255.0).astype(np.uint8))
        return np.stack(out)


class _RssPeak:
    """Peak resident memory of this process while measuring, sampled every 2 ms (MiB)."""

    def __init__(self):
        self._peak = 0
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page

    def start(self) -> None:
        self._peak = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.002):
            self._peak = max(self._peak, self._rss())

    def stop(self) -> tuple[float, str]:
        self._done.set()
        self._thread.join()
        return max(self._peak, self._rss()) / 2**20, "process RSS peak"


class _CudaPeak:
    def __init__(self, device):
        import torch
        self.torch, self.device = torch, device

    def start(self) -> None:
        self.torch.cuda.reset_peak_memory_stats(self.device)

    def stop(self) -> tuple[float, str]:
        return (self.torch.cuda.max_memory_allocated(self.device) / 2**20,
                "torch CUDA allocator peak")
