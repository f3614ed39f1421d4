"""Decode thread -> hand-off -> stages thread -> hand-off -> sink (the caller's thread).

The stages thread runs the frames through the stages (engine.stages: restoration, a temporal
window ...) and passes on what they give back; the sink gets each finished Frame, its
restoration on it (`frame.restored`).

File mode: bounded queues, the decoder waits for inference, nothing is dropped, frames are
batched when asked to. Live mode: latest-only slots, so a slow stage makes the stage before it
skip to the newest frame rather than fall behind; every skipped frame is counted. An exception
in any thread stops all of them and is raised from run(); so is Ctrl-C in the caller's.
stop() ends the run keeping the frames in flight; cancel() (a seek, a new file) drops them and
run() returns at once."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from engine.errors import SourceLost
from engine.frames import Frame
from engine.pipeline.handoff import END, Aborted, Handoff
from engine.sources import Source
from engine.stages import Stage, flush_stages, run_stages
from engine.pipeline.stats import PipelineStats

Sink = Callable[[Frame], None]      # a finished frame: frame.restored holds the restoration
JOIN_TIMEOUT = 15.0   # a thread blocked in a network read notices the stop after its timeout


class Pipeline:
    def __init__(self, source: Source, stages: Stage | Sequence[Stage], sink: Sink, *,
                 live: bool | None = None, batch_size: int = 1, queue_size: int = 4,
                 duration: float | None = None,
                 on_output: Callable[[PipelineStats], None] | None = None):
        self.stages = [stages] if hasattr(stages, "push") else list(stages)   # one or a chain
        self.source, self.sink, self.on_output = source, sink, on_output
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
        self._cancelled = False

    def stop(self) -> None:
        """End gracefully: no more frames are read; those in flight still reach the sink."""
        self.stop_event.set()

    def cancel(self) -> None:
        """End now: no more frames are read and those in flight are dropped; run() returns
        (stats.cancelled) once the threads have let go. Callable from the sink."""
        self._cancelled = True
        self.stop_event.set()
        self.decoded.abort()
        self.restored.abort()

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
        except Aborted:
            if not self._cancelled:
                raise
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            for thread in threads:
                if thread.ident is not None:
                    thread.join(JOIN_TIMEOUT)
            self.stats.finished = time.monotonic()
            self.stats.corrupt = self.source.corrupt
            self.stats.dropped = self.decoded.dropped + self.restored.dropped
            self.stats.cancelled = self._cancelled
            if self._error is not None:
                raise self._error
        return self.stats

    # The three threads.

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
            self._hand_on(lambda: run_stages(self.stages, batch), len(batch))
        self._hand_on(lambda: flush_stages(self.stages), 0)
        self.restored.close()

    def _hand_on(self, work: Callable[[], list[Frame]], frames_in: int) -> None:
        """Run `work` (frames through the stages), count its time, pass on what it gave."""
        started = time.perf_counter()
        finished = work()
        seconds = time.perf_counter() - started
        self.stats.infer_seconds += seconds
        self.stats.inferred += frames_in
        for frame in finished:
            self.restored.put((frame, seconds))

    def _write(self) -> None:
        while (item := self.restored.get()) is not END:
            frame, infer_seconds = item
            self.sink(frame)
            if self._cancelled:
                break
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
