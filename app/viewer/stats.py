"""The numbers the viewer overlay shows: decode, processing and display rates over the last
couple of seconds, capture -> display latency, dropped frames. Written from the player's
threads and the GUI thread, read by the GUI thread; a lock keeps each read consistent."""
from __future__ import annotations

import math
import threading
import time
from collections import deque

import numpy as np

RATE_WINDOW = 2.0      # seconds of events a rate is computed over
LATENCY_WINDOW = 120   # recent displayed frames the latency percentiles cover


class RateMeter:
    """Events per second over the last RATE_WINDOW seconds."""

    def __init__(self, window: float = RATE_WINDOW):
        self.window = window
        self.count = 0
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self.count += 1
            self._times.append(now)
            self._trim(now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            if len(self._times) < 2:
                return 0.0
            span = now - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()


class ViewerStats:
    """Counters for the overlay and the responsiveness measurement."""

    def __init__(self) -> None:
        self.decoded = RateMeter()
        self.processed = RateMeter()
        self.displayed = RateMeter()
        self.dropped = 0     # replaced before they were shown: live hand-offs + the GUI slot
        self.corrupt = 0
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._lock = threading.Lock()

    def frame_shown(self, t_captured: float) -> None:
        now = time.monotonic()
        self.displayed.tick(now)
        with self._lock:
            self._latencies.append(now - t_captured)

    def latency_ms(self, percentile: float) -> float:
        with self._lock:
            if not self._latencies:
                return math.nan
            return float(np.percentile(np.fromiter(self._latencies, float), percentile) * 1000)

    def lines(self) -> list[str]:
        """The overlay text, one line per figure."""
        p50, p95 = self.latency_ms(50), self.latency_ms(95)
        latency = "latency -" if math.isnan(p50) else f"latency {p50:.0f} ms (p95 {p95:.0f})"
        return [f"decode {self.decoded.rate():5.1f} fps",
                f"processing {self.processed.rate():5.1f} fps",
                f"display {self.displayed.rate():5.1f} fps",
                latency,
                f"dropped {self.dropped}" + (f", corrupt {self.corrupt}" if self.corrupt else "")]


class CountProcessed:
    """A pipeline stage (engine.stages) after restoration: counts restored frames."""

    def __init__(self, stats: ViewerStats):
        self.stats = stats

    def push(self, frames: list) -> list:
        for _ in frames:
            self.stats.processed.tick()
        return frames

    def flush(self) -> list:
        return []
