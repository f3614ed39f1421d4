"""The player: a worker thread that owns the source and the Restorer and runs the engine's
Pipeline (decode thread -> inference thread -> this thread) over one stretch of the source at a
time. The GUI only posts commands (play, pause, seek, step, loop, model, record, open) and takes
the newest result from a one-frame slot, so it never waits on decoding or inference and at
most one frame is ever waiting to be shown.

Files play at their own pace (the frames' timestamps). Where processing is slower than that,
real-time mode (the default) skips frames that are already late when decoded, before
inference, so playback keeps the clock; every-frame mode shows them all, slower. Seeking and
stepping back start a new stretch at a frame-accurate position. Live sources (camera, stream)
run the pipeline in latest-only mode: drops are counted, never queued."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from app.cli import USER_ERRORS
from app.viewer.stats import ViewerStats
from engine.frames import Frame
from engine.pipeline import Pipeline
from engine.restorer import Restorer
from engine.sinks.video_writer import VideoWriter
from engine.sources import Source
from engine.tiling import TileOptions

Opener = Callable[[], Source]   # called in the worker: opening a camera or a URL may block
LATE_TOLERANCE = 0.05           # seconds a frame may be late before the clock gives up on it
DISPLAY_WAIT = 0.25             # a file frame waits this long at most for the previous to paint
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


def describe_error(exc: BaseException) -> str:
    """One line for the banner: the user's errors as they are, anything else with its type."""
    return str(exc) if isinstance(exc, USER_ERRORS) else f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class RestorerSettings:
    model: str = "fast"
    backend: str = "auto"
    device: str | None = None
    tiles: TileOptions = TileOptions()

    def build(self) -> Restorer:
        return Restorer(self.model, self.backend, self.device, self.tiles)


@dataclass(frozen=True)
class SourceInfo:
    name: str
    live: bool
    seekable: bool
    frame_count: int | None
    rate: Fraction | None
    size: tuple[int, int] | None = None   # width, height once the first frame is known


@dataclass(frozen=True)
class PlayState:
    playing: bool
    loop: bool
    at_end: bool
    recording: str | None


@dataclass
class Shown:
    """One frame pair for the GUI: the source frame and its restoration."""
    frame: Frame
    restored: np.ndarray
    made_by: str          # the Restorer's description (frames in flight keep the old one)


class _Tagged(np.ndarray):
    """Restored pixels that remember which Restorer made them (views keep the tag)."""
    made_by = ""

    def __array_finalize__(self, obj) -> None:
        self.made_by = getattr(obj, "made_by", "")


class LatestSlot:
    """One item from the worker to the GUI. put() replaces an item not yet taken (and counts
    it), so the GUI never has a backlog; it returns True when the GUI must be told. The GUI
    reports when the item it took is on screen, so file playback can wait for that instead of
    replacing (every frame of a file is shown; live sources never wait)."""

    def __init__(self) -> None:
        self.replaced = 0
        self._item: Shown | None = None
        self._on_screen_soon: Shown | None = None   # taken by the GUI, not painted yet
        self._lock = threading.Lock()

    def put(self, item: Shown) -> bool:
        with self._lock:
            was_empty = self._item is None
            self.replaced += not was_empty
            self._item = item
        return was_empty

    def take(self) -> Shown | None:
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


class _Restart(Exception):
    """Leave the current stretch and start another (seek, step back, open, end reached)."""

    def __init__(self, start: int = 0, show_one: bool = True, opener: Opener | None = None):
        super().__init__(start)
        self.start, self.show_one, self.opener = start, show_one, opener


class _Closed(Exception):
    """The viewer is closing: leave everything."""


class _Stretch:
    """The source from frame `start` on, as one pipeline run reads it; counts decoded frames
    and leaves out those `skip` says are too late to show."""

    def __init__(self, source: Source, start: int, stats: ViewerStats,
                 skip: Callable[[Frame], bool]):
        self.source, self.start, self.stats, self.skip = source, start, stats, skip
        self.live = source.live
        self.skipped = 0

    @property
    def corrupt(self) -> int:
        return self.source.corrupt

    def __iter__(self) -> Iterator[Frame]:
        seekable = getattr(self.source, "frames", None)
        frames = seekable(self.start) if seekable is not None else iter(self.source)
        try:
            for frame in frames:
                self.stats.decoded.tick()
                self.stats.corrupt = self.source.corrupt
                if self.skip(frame):
                    self.skipped += 1
                    continue
                yield frame
        finally:
            getattr(frames, "close", lambda: None)()


class _Clock:
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


class Player(QObject):
    frameReady = pyqtSignal()          # call take_frame() for the newest frame
    opened = pyqtSignal(object)        # SourceInfo
    restorerChanged = pyqtSignal(object, str)   # RestorerSettings and description now in use
    stateChanged = pyqtSignal(object)  # PlayState
    failed = pyqtSignal(str)           # an error for the banner, one line
    notice = pyqtSignal(str)           # information for the banner (a recording saved, ...)

    def __init__(self, settings: RestorerSettings = RestorerSettings(),
                 parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.stats = ViewerStats()
        self.slot = LatestSlot()
        self._commands: deque[tuple[str, object]] = deque()
        self._cond = threading.Condition()
        # Everything below belongs to the worker thread.
        self._source: Source | None = None
        self._info: SourceInfo | None = None
        self._restorer: Restorer | None = None
        self._restorer_error = ""
        self._playing = True
        self._loop = False
        self._realtime = True                # skip late file frames (else show every frame)
        self._stretch: _Stretch | None = None
        self._at_end = False
        self._start: int | None = None       # where the next stretch begins; None: idle
        self._show_one = False               # show the stretch's first frame even if paused
        self._step_credit = 0
        self._running: Pipeline | None = None
        self._dropped_before = 0
        self._last: Shown | None = None
        self._position = 0   # the frame the user is at: shown, or asked for by a seek/step
        self._pending: _Restart | None = None   # a restart asked for earlier in this drain
        self._clock = _Clock()
        self._writer: VideoWriter | None = None
        self._record_zero: int | None = None
        self._published = 0
        self._thread = threading.Thread(target=self._main, name="viewer-player", daemon=True)

    def start(self) -> None:
        """Start the worker (after the signals are connected: it loads the model first)."""
        self._thread.start()

    # Commands from the GUI thread: they return at once.

    def open(self, opener: Opener, play: bool = True) -> None:
        self._post("open", (opener, play))

    def play(self) -> None:
        self._post("play")

    def pause(self) -> None:
        self._post("pause")

    def toggle(self) -> None:
        self._post("toggle")

    def seek(self, index: int) -> None:
        self._post("seek", index)

    def step(self, delta: int) -> None:
        """One frame forward (+1) or back (-1); playback pauses."""
        self._post("step", delta)

    def set_loop(self, loop: bool) -> None:
        self._post("loop", loop)

    def set_realtime(self, realtime: bool) -> None:
        """Keep the file's clock by skipping late frames (True), or show every frame."""
        self._post("realtime", realtime)

    def set_restorer(self, settings: RestorerSettings) -> None:
        """Rebuild the Restorer in the worker; frames from then on use it."""
        self._post("restorer", settings)

    def record(self, path: Path | None) -> None:
        """Start recording the restored live frames to `path`; None stops and saves."""
        self._post("record", path)

    def close(self) -> None:
        """Stop the worker: no more frames are read, the source and a recording are closed."""
        self._post("close")
        pipeline = self._running
        if pipeline is not None:
            pipeline.stop()   # a source with nothing in flight still ends promptly

    def wait(self, timeout: float | None = None) -> bool:
        """Join the worker (after close()); True when it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def take_frame(self) -> Shown | None:
        """The newest frame for the GUI (None when there is none)."""
        return self.slot.take()

    def frame_painted(self) -> None:
        """The GUI painted the frame it took: the next one may come."""
        self.slot.shown()
        with self._cond:
            self._cond.notify_all()

    def _post(self, name: str, argument: object = None) -> None:
        with self._cond:
            self._commands.append((name, argument))
            self._cond.notify_all()

    # The worker.

    def _main(self) -> None:
        lower_thread_priority()   # before the Restorer and the pipeline threads exist
        self._set_restorer(self.settings)
        try:
            while True:
                try:
                    if self._source is None or self._start is None:
                        self._drain(wait=None)
                    else:
                        self._run()
                except (_Closed, KeyboardInterrupt):
                    raise
                except Exception as exc:   # the viewer reports and goes on; it never crashes
                    self.failed.emit(describe_error(exc))
                    self._start = None
        except _Closed:
            pass
        finally:
            self._stop_recording()
            self._close_source()

    def _run(self) -> None:
        """Play one stretch of the source, from self._start until its end or a restart."""
        start, self._start = self._start, None
        self._clock.reset()
        published = self._published
        # queue_size 0: one frame waits at each hand-off, so a model switch or a seek shows
        # within a frame or two and the latency stays short.
        stretch = self._stretch = _Stretch(self._source, start, self.stats, self._too_late)
        pipeline = Pipeline(stretch, self._process, self._sink, live=self._info.live,
                            queue_size=0)
        self._running = pipeline
        try:
            result = pipeline.run()
        except _Restart as restart:
            self._apply(restart)
            return
        finally:
            self._running = self._stretch = None
            self._dropped_before += (pipeline.decoded.dropped + pipeline.restored.dropped
                                     + stretch.skipped)
            self._count_dropped()   # frames skipped after the last one shown count too
        if result.ended_early:
            self.failed.emit(result.ended_early)
        if self._info.live:   # a live source that ended does not come back: let it go
            self._stop_recording()
            self._close_source()
            self._playing = False
        elif self._loop and self._published > published:
            self._start = 0
        else:
            self._playing, self._at_end = False, True
        self._emit_state()

    def _too_late(self, frame: Frame) -> bool:
        """In the decoding thread: a file frame past its time while playing in real-time
        mode is left out before inference, the cost that matters."""
        return (self._realtime and self._playing and not self._info.live
                and self._clock.late(frame.time))

    def _process(self, batch: np.ndarray) -> np.ndarray:
        """The pipeline's inference step, with whichever Restorer is current."""
        restorer = self._restorer
        if restorer is None:   # no model could be loaded: show the input on both sides
            out = batch.view(_Tagged)
            out.made_by = f"no model ({self._restorer_error})"
        else:
            out = restorer.restore_batch(batch).view(_Tagged)
            out.made_by = restorer.description
        for _ in range(len(batch)):
            self.stats.processed.tick()
        return out

    def _sink(self, frame: Frame, restored: np.ndarray) -> None:
        """The pipeline's output step: obey commands, keep the pace, then publish."""
        self._record(frame, restored)
        display_deadline = None
        while True:
            self._drain(wait=0)
            if self._info.live:
                if not self._playing:
                    return   # paused live: the picture holds, the source keeps flowing
                break
            if self._show_one or self._step_credit:
                self._show_one = False
                self._step_credit = max(self._step_credit - 1, 0)
                self._clock.reset()
                break
            if not self._playing:
                self._drain(wait=None)
                continue
            delay = self._clock.delay(frame.time, keep_time=self._realtime)
            if delay > 0:
                self._drain(wait=delay)
                continue
            if not self.slot.idle():   # the previous frame is not on screen yet: wait a little
                now = time.monotonic()
                display_deadline = display_deadline or now + DISPLAY_WAIT
                if now < display_deadline:
                    self._drain(wait=display_deadline - now)
                    continue
            break
        self._publish(frame, restored)

    def _publish(self, frame: Frame, restored: np.ndarray) -> None:
        shown = Shown(frame, restored, getattr(restored, "made_by", ""))
        self._last, self._position = shown, frame.index
        self._published += 1
        if self.slot.put(shown):
            self.frameReady.emit()
        self._count_dropped()

    def _count_dropped(self) -> None:
        """Frames not shown: replaced in a hand-off or the GUI slot, or skipped as late."""
        pipeline, stretch = self._running, self._stretch
        in_flight = pipeline.decoded.dropped + pipeline.restored.dropped if pipeline else 0
        skipped = stretch.skipped if stretch is not None else 0
        self.stats.dropped = self._dropped_before + in_flight + skipped + self.slot.replaced

    # Commands, in the worker.

    def _drain(self, wait: float | None) -> None:
        """Carry out the pending commands (waiting up to `wait` seconds for one, None: for
        ever). A restart they ask for ends the running stretch, or starts one when idle."""
        with self._cond:
            if not self._commands and (wait is None or wait > 0):
                self._cond.wait(wait)
            commands = list(self._commands)
            self._commands.clear()
        restart = self._pending = None
        for name, argument in commands:
            asked = getattr(self, f"_do_{name}")(argument)
            if asked is not None:
                restart = self._pending = asked
                if asked.opener is None:
                    self._position = asked.start   # two quick steps back go back two
        self._pending = None
        if commands:
            self._emit_state()
        if restart is not None:
            if self._running is not None:
                raise restart
            self._apply(restart)

    def _apply(self, restart: _Restart) -> None:
        if restart.opener is not None:
            self._open_now(restart.opener)
            return
        self._start, self._show_one, self._at_end = restart.start, restart.show_one, False
        self._step_credit = 0

    def _do_open(self, argument: tuple[Opener, bool]) -> _Restart:
        opener, play = argument
        self._playing = play
        return _Restart(opener=opener)

    def _do_play(self, _=None) -> _Restart | None:
        self._playing = True
        self._clock.reset()
        if self._running is None and self._info is not None and not self._info.live:
            return _Restart(0 if self._at_end else self._position + 1, show_one=False)
        return None

    def _do_pause(self, _=None) -> None:
        self._playing = False

    def _do_toggle(self, _=None) -> _Restart | None:
        if self._playing and not self._at_end:
            return self._do_pause()
        return self._do_play()

    def _do_seek(self, index: int) -> _Restart | None:
        if self._info is None or not self._info.seekable:
            return None
        last = (self._info.frame_count or index + 1) - 1
        return _Restart(min(max(int(index), 0), last))

    def _do_step(self, delta: int) -> _Restart | None:
        if self._info is None or not self._info.seekable:
            return None
        self._playing = False
        if delta > 0 and self._pending is None:
            # let the frame held at the sink through (none is held at the end)
            if self._running is not None:
                self._step_credit += delta
            return None
        target = self._position + delta
        return self._do_seek(target) if target >= 0 else None

    def _do_loop(self, loop: bool) -> None:
        self._loop = bool(loop)

    def _do_realtime(self, realtime: bool) -> None:
        self._realtime = bool(realtime)
        self._clock.reset()

    def _do_restorer(self, settings: RestorerSettings) -> None:
        if not self._set_restorer(settings) or self._playing or self._last is None:
            return
        # Paused: restore the frame on screen again so the new model shows at once.
        frame = self._last.frame
        self._publish(frame, self._process(frame.rgb[None])[0])

    def _do_record(self, path: Path | None) -> None:
        if path is None:
            self._stop_recording()
            return
        if self._info is None or not self._info.live or self._source is None:
            self.failed.emit("recording is for a live camera or stream; use Export for a file")
            return
        self._stop_recording()
        try:
            self._writer = VideoWriter(Path(path), time_base=self._source.time_base,
                                       rate=self._source.rate, colour=self._source.colour)
        except USER_ERRORS as exc:
            self.failed.emit(describe_error(exc))
            return
        self._record_zero = None
        self.notice.emit(f"recording to {path}")

    def _do_close(self, _=None) -> None:
        raise _Closed

    # Helpers of the worker.

    def _set_restorer(self, settings: RestorerSettings) -> bool:
        try:
            restorer = settings.build()
        except Exception as exc:
            self._restorer_error = describe_error(exc)
            self.failed.emit(f"{settings.model} on {settings.backend}: {self._restorer_error}")
            if self._restorer is not None:   # the GUI shows what is still in use
                self.restorerChanged.emit(self.settings, self._restorer.description)
            return False
        self._restorer, self.settings = restorer, settings
        self.restorerChanged.emit(settings, restorer.description)
        return True

    def _open_now(self, opener: Opener) -> None:
        self._stop_recording()
        self._close_source()
        self._info, self._last, self._at_end, self._start = None, None, False, None
        self._position = 0
        try:
            source = opener()
        except Exception as exc:
            self.failed.emit(describe_error(exc))
            return
        self._source = source
        frame_count = source.frame_count
        self._info = SourceInfo(source.name, source.live,
                                not source.live and hasattr(source, "frames") and
                                bool(frame_count), frame_count, source.rate)
        self._start, self._show_one = 0, True
        self.opened.emit(self._info)
        for note in getattr(source, "notes", []):
            self.notice.emit(note)

    def _close_source(self) -> None:
        if self._source is not None:
            try:
                self._source.close()
            except Exception as exc:
                self.failed.emit(describe_error(exc))
            self._source = None

    def _record(self, frame: Frame, restored: np.ndarray) -> None:
        if self._writer is None:
            return
        if self._record_zero is None:
            self._record_zero = frame.pts
        try:
            self._writer.write(np.asarray(restored), frame.pts - self._record_zero)
        except Exception as exc:
            self._writer.abort()
            self._writer = None
            self.failed.emit(f"recording stopped: {describe_error(exc)}")

    def _stop_recording(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
            self.notice.emit(f"recorded {writer.frames} frames to {writer.target}")
        except Exception as exc:
            self.failed.emit(f"recording not saved: {describe_error(exc)}")

    def _emit_state(self) -> None:
        self.stateChanged.emit(PlayState(self._playing, self._loop, self._at_end,
                                         str(self._writer.target) if self._writer else None))
