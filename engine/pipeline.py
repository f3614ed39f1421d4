"""Decode thread -> hand-off -> inference thread -> hand-off -> sink (the caller's thread).

File mode: bounded queues, the decoder waits for inference, nothing is dropped, frames are
batched when asked to. Live mode: latest-only slots, so a slow stage makes the stage before it
skip to the newest frame rather than fall behind; every skipped frame is counted. An exception
in any thread stops all of them and is raised from run(); so is Ctrl-C in the caller's."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from engine.errors import SourceLost
from engine.frames import Frame
from engine.handoff import END, Aborted, Handoff
from engine.sources import Source
from engine.stats import PipelineStats

Process = Callable[[np.ndarray], np.ndarray]    # uint8 N x H x W x 3 -> same
Sink = Callable[[Frame, np.ndarray], None]      # (source frame, restored RGB)
JOIN_TIMEOUT = 15.0   # a thread blocked in a network read notices the stop after its timeout


class Pipeline:
    def __init__(self, source: Source, process: Process, sink: Sink, *, live: bool | None = None,
                 batch_size: int = 1, queue_size: int = 4, duration: float | None = None,
                 on_output: Callable[[PipelineStats], None] | None = None):
        self.source, self.process, self.sink, self.on_output = source, process, sink, on_output
        self.live = source.live if live is None else live
        self.batch_size = 1 if self.live else max(1, batch_size)
        self.duration = duration
        capacity = queue_size + self.batch_size
        self.decoded = Handoff(capacity, latest_only=self.live)
        self.restored = Handoff(capacity, latest_only=self.live)
        self.stop_event = threading.Event()   # set it to end early and keep what was done
        self.stats = PipelineStats()
        self._error: BaseException | None = None
        self._carry: Frame | None = None

    def stop(self) -> None:
        """End gracefully: no more frames are read; those in flight still reach the sink."""
        self.stop_event.set()

    def run(self) -> PipelineStats:
        self.stats = PipelineStats()
        threads = [threading.Thread(target=self._guard, args=(body,), name=name, daemon=True)
                   for body, name in ((self._read, "decode"), (self._infer, "inference"))]
        try:
            # Started inside the try: an interrupt arriving between two starts must still stop
            # the first thread before the source is closed under it.
            for thread in threads:
                thread.start()
            self._write()
        except BaseException as exc:
            if not isinstance(exc, Aborted):
                self._fail(exc)
            raise
        finally:
            for thread in threads:
                if thread.ident is not None:
                    thread.join(JOIN_TIMEOUT)
            self.stats.finished = time.monotonic()
            self.stats.corrupt = self.source.corrupt
            self.stats.dropped = self.decoded.dropped + self.restored.dropped
            if self._error is not None:
                raise self._error
        return self.stats

    # The three stages.

    def _read(self) -> None:
        frames = iter(self.source)
        start = None
        try:
            for frame in frames:
                if self.stop_event.is_set():
                    break
                # Duration in the source's own time: a live stream's backlog read in a burst
                # counts for the time it covers, not for the moment it arrived.
                start = frame.time if start is None else start
                if self.duration is not None and frame.time - start >= self.duration:
                    break
                self.stats.frames_in += 1
                self.stats.corrupt = self.source.corrupt
                self.decoded.put(frame)
        except SourceLost as exc:
            self.stats.ended_early = str(exc)
        finally:
            getattr(frames, "close", lambda: None)()
        self.decoded.close()

    def _infer(self) -> None:
        while batch := self._next_batch():
            pixels = batch[0].rgb[None] if len(batch) == 1 else np.stack([f.rgb for f in batch])
            started = time.perf_counter()
            restored = self.process(pixels)
            seconds = time.perf_counter() - started
            self.stats.infer_seconds += seconds
            self.stats.inferred += len(batch)
            for frame, rgb in zip(batch, restored):
                self.restored.put((frame, rgb, seconds))
        self.restored.close()

    def _write(self) -> None:
        while (item := self.restored.get()) is not END:
            frame, rgb, infer_seconds = item
            self.sink(frame, rgb)
            self.stats.frames_out += 1
            latency = time.monotonic() - frame.t_captured
            self.stats.latencies.append(latency)
            self.stats.overheads.append(latency - infer_seconds)
            if self.on_output is not None:
                self.on_output(self.stats)

    def _next_batch(self) -> list[Frame]:
        """Up to batch_size frames of one size (a size change starts the next batch)."""
        batch = [self._carry] if self._carry is not None else []
        self._carry = None
        while len(batch) < self.batch_size:
            frame = self.decoded.get()
            if frame is END:
                break
            if batch and frame.rgb.shape != batch[0].rgb.shape:
                self._carry = frame
                break
            batch.append(frame)
        return batch

    # Failure handling: the first error wins, everyone else is woken with Aborted.

    def _guard(self, body: Callable[[], None]) -> None:
        try:
            body()
        except Aborted:
            pass
        except BaseException as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self.decoded.abort()
        self.restored.abort()
