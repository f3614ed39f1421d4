"""Who runs when in the viewer: the one-frame slot between the player's worker and the GUI,
the clock that paces file playback to the frames' timestamps, the stretch of a source one
pipeline run reads (leaving out frames already too late to show), and the thread priority that
keeps the GUI responsive on a busy CPU."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

from app.viewer.stats import ViewerStats
from engine.frames import Frame
from engine.sources import Source

LATE_TOLERANCE = 0.05           # seconds a frame may be late before the clock gives up on it
WORKER_NICE = 5                 # decoding and inference yield the CPU to the GUI thread


def lower_thread_priority(nice: int = WORKER_NICE) -> None:
    """Make the calling thread, and the threads it starts from now on (the pipeline's, the
    runtimes' intra-op pools), yield to the GUI thread on a busy CPU. Linux nice is per
    thread and inherited by new threads; elsewhere this does nothing."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:
            pass


class LatestSlot:
    """One frame from the worker to the GUI. put() replaces a frame not yet taken (and counts
    it), so the GUI never has a backlog; it returns True when the GUI must be told. The GUI
    reports when the frame it took is on screen, so file playback can wait for that instead of
    replacing (every frame of a file is shown; live sources never wait)."""

    def __init__(self) -> None:
        self.replaced = 0
        self._item: Frame | None = None
        self._on_screen_soon: Frame | None = None   # taken by the GUI, not painted yet
        self._lock = threading.Lock()

    def put(self, item: Frame) -> bool:
        with self._lock:
            was_empty = self._item is None
            self.replaced += not was_empty
            self._item = item
        return was_empty

    def take(self) -> Frame | None:
        with self._lock:
            item, self._item = self._item, None
            self._on_screen_soon = item or self._on_screen_soon
        return item

    def shown(self) -> None:
        with self._lock:
            self._on_screen_soon = None

    def idle(self) -> bool:
        """Nothing waits to be taken or painted."""
        with self._lock:
            return self._item is None and self._on_screen_soon is None


class Clock:
    """Paces file playback to the frames' timestamps. A late frame is shown at once; in
    every-frame mode the clock then restarts from it (playback slows to what processing
    allows, it never races), in real-time mode it keeps time and late frames are skipped."""

    def __init__(self) -> None:
        self.zero: float | None = None   # the monotonic time at which t = 0 is due

    def reset(self) -> None:
        self.zero = None

    def delay(self, t: float, keep_time: bool = False) -> float:
        now = time.monotonic()
        if self.zero is None or (not keep_time and now - (self.zero + t) > LATE_TOLERANCE):
            self.zero = now - t
        return self.zero + t - now

    def late(self, t: float) -> bool:
        """Already past the time `t` is due (read from the decoding thread)."""
        zero = self.zero
        return zero is not None and time.monotonic() - (zero + t) > LATE_TOLERANCE


class Stretch(Source):
    """The source from frame `start` on, as one pipeline run reads it; counts decoded frames
    and leaves out those `skip` says are too late to show."""

    def __init__(self, source: Source, start: int, stats: ViewerStats,
                 skip: Callable[[Frame], bool]):
        self.source, self.start, self.stats, self.skip = source, start, stats, skip
        self.name, self.live, self.time_base = source.name, source.live, source.time_base
        self.skipped = 0

    @property
    def corrupt(self) -> int:
        return self.source.corrupt

    def __iter__(self) -> Iterator[Frame]:
        frames = self.source.frames(self.start)
        try:
            for frame in frames:
                self.stats.decoded.tick()
                self.stats.corrupt = self.source.corrupt
                if self.skip(frame):
                    self.skipped += 1
                    continue
                yield frame
        finally:
            getattr(frames, "close", lambda: None)()   # a generator; a plain iterator has none
