"""What the pipeline reports while it runs and at the end: input and output rates, inference
rate, capture->output latency percentiles, dropped and corrupt frames. The CLI and the viewer
show these same numbers."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

LATENCY_WINDOW = 2048   # latencies kept for the percentiles: recent ones, memory stays flat


def _percentile_ms(seconds: deque, percentile: float) -> float:
    if not seconds:
        return float("nan")
    return float(np.percentile(np.fromiter(seconds, float), percentile) * 1000)


@dataclass
class PipelineStats:
    frames_in: int = 0          # frames taken from the source
    frames_out: int = 0         # frames handed to the sink
    dropped: int = 0            # replaced at a latest-only hand-off (live mode only)
    corrupt: int = 0            # packets or frames the decoder rejected or flagged
    inferred: int = 0
    infer_seconds: float = 0.0  # time spent inside the backend
    ended_early: str | None = None   # why a live source stopped before it was asked to
    cancelled: bool = False     # ended by Pipeline.cancel(): frames in flight were dropped
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    latencies: deque = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    # Each frame's latency minus the inference call it was part of: what the pipeline adds.
    overheads: deque = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def _rate(self, count: int) -> float:
        return count / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def input_fps(self) -> float:
        return self._rate(self.frames_in)

    @property
    def output_fps(self) -> float:
        return self._rate(self.frames_out)

    @property
    def inference_fps(self) -> float:
        """Frames per second of backend time alone (the bare inference rate)."""
        return self.inferred / self.infer_seconds if self.infer_seconds > 0 else 0.0

    def latency_ms(self, percentile: float) -> float:
        """Capture -> output latency over the recent window, in milliseconds."""
        return _percentile_ms(self.latencies, percentile)

    def overhead_ms(self, percentile: float) -> float:
        """Latency beyond the frame's own inference time (queues, hand-offs, the sink), ms."""
        return _percentile_ms(self.overheads, percentile)

    def summary(self) -> str:
        line = (f"{self.frames_out} frames in {self.elapsed:.1f} s ({self.output_fps:.1f} fps; "
                f"input {self.input_fps:.1f} fps, inference {self.inference_fps:.1f} fps), "
                f"latency p50 {self.latency_ms(50):.0f} ms / p95 {self.latency_ms(95):.0f} ms, "
                f"{self.dropped} dropped, {self.corrupt} corrupt")
        return line + (f"; {self.ended_early}" if self.ended_early else "")
