"""The player: a worker thread that owns the source and the Restorer and runs the engine's
Pipeline (decode -> stages -> this thread) over one stretch of the source at a time. The GUI
posts commands (play, pause, seek, step, loop, model, record, open) and takes the newest frame
from a one-frame slot, so it never waits on decoding or inference. Files play at their own
pace; real-time mode skips frames already late when decoded, every-frame mode shows them all.
A seek or step back cancels the running pipeline (a call; frames in flight are dropped) and
starts the next stretch at a frame-accurate position. Live sources run latest-only: drops are
counted, never queued. Pacing: pacing.py; recording: recording.py; session values: session.py."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from app.viewer.chain import ViewerChain
from app.viewer.commands import PlayerCommands
from app.viewer.pacing import Clock, LatestSlot, Stretch, lower_thread_priority
from app.viewer.recording import Recorder
from app.viewer.session import Opener, PlayState, Restart, SourceInfo
from app.viewer.stats import ViewerStats
from common.errors import describe_error
from engine.frames import Frame
from engine.pipeline import Pipeline
from engine.stages.restorer import RestorerSettings
from engine.sources import Source

DISPLAY_WAIT = 0.25   # a file frame waits this long at most for the previous one to paint


class Player(PlayerCommands, QObject):
    frameReady = pyqtSignal()          # call take_frame() for the newest frame
    opened = pyqtSignal(object)        # SourceInfo
    restorerChanged = pyqtSignal(object, str)   # RestorerSettings and description now in use
    stateChanged = pyqtSignal(object)  # PlayState
    failed = pyqtSignal(str)           # an error for the banner, one line
    notice = pyqtSignal(str)           # information for the banner (a recording saved, ...)

    def __init__(self, settings: RestorerSettings = RestorerSettings(),
                 parent: QObject | None = None, temporal: int | None = None):
        super().__init__(parent)
        self.settings = settings
        self.stats = ViewerStats()
        self.slot = LatestSlot()
        self._commands: deque[tuple[str, object]] = deque()
        self._cond = threading.Condition()
        # Everything below belongs to the worker thread.
        self._source: Source | None = None
        self._info: SourceInfo | None = None
        self._chain = ViewerChain(self.stats, temporal)
        self._playing = True
        self._loop = False
        self._realtime = True                # skip late file frames (else show every frame)
        self._stretch: Stretch | None = None
        self._at_end = False
        self._start: int | None = None       # where the next stretch begins; None: idle
        self._show_one = False               # show the stretch's first frame even if paused
        self._step_credit = 0
        self._running: Pipeline | None = None
        self._restart: Restart | None = None   # asked for while a stretch runs: applied after
        self._closing = False
        self._dropped_before = 0
        self._last: Frame | None = None
        self._position = 0   # the frame the user is at: shown, or asked for by a seek/step
        self._pending: Restart | None = None   # a restart asked for earlier in this drain
        self._clock = Clock()
        self._recorder = Recorder(self.failed.emit, self.notice.emit)
        self._published = 0
        self._thread = threading.Thread(target=self._main, name="viewer-player", daemon=True)

    # The worker.

    def _main(self) -> None:
        lower_thread_priority()   # before the Restorer and the pipeline threads exist
        self._set_restorer(self.settings)
        try:
            while not self._closing:
                try:
                    if self._source is None or self._start is None:
                        self._drain(wait=None)
                    else:
                        self._run()
                except KeyboardInterrupt:
                    raise
                except Exception as exc:   # the viewer reports and goes on; it never crashes
                    self.failed.emit(describe_error(exc))
                    self._start = None
        finally:
            self._recorder.stop()
            self._close_source()

    def _run(self) -> None:
        """Play one stretch of the source, from self._start until its end or a restart."""
        start, self._start = self._start, None
        self._clock.reset()
        published = self._published
        # queue_size 0: one frame waits at each hand-off, so a model switch or a seek shows
        # within a frame or two and the latency stays short.
        stretch = self._stretch = Stretch(self._source, start, self.stats, self._too_late)
        pipeline = Pipeline(stretch, self._chain.for_stretch(self._info.live), self._sink,
                            live=self._info.live,
                            queue_size=0)
        self._running = pipeline
        try:
            result = pipeline.run()
        finally:
            self._running = self._stretch = None
            self._dropped_before += (pipeline.decoded.dropped + pipeline.restored.dropped
                                     + stretch.skipped)
            self._count_dropped()   # frames skipped after the last one shown count too
        if result.cancelled:
            restart, self._restart = self._restart, None
            if restart is not None and not self._closing:
                self._apply(restart)
            return
        if result.ended_early:
            self.failed.emit(result.ended_early)
        if self._info.live:   # a live source that ended does not come back: let it go
            self._recorder.stop()
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

    def _sink(self, frame: Frame) -> None:
        """The pipeline's output step: obey commands, keep the pace, then publish. Returns
        without publishing once a restart or close cancelled the run."""
        self._recorder.write(frame)
        display_deadline = None
        while True:
            if not self._drain(wait=0):
                return
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
                if not self._drain(wait=None):
                    return
                continue
            delay = self._clock.delay(frame.time, keep_time=self._realtime)
            if delay > 0:
                if not self._drain(wait=delay):
                    return
                continue
            if not self.slot.idle():   # the previous frame is not on screen yet: wait a little
                now = time.monotonic()
                display_deadline = display_deadline or now + DISPLAY_WAIT
                if now < display_deadline:
                    if not self._drain(wait=display_deadline - now):
                        return
                    continue
            break
        self._publish(frame)

    def _publish(self, frame: Frame) -> None:
        self._last, self._position = frame, frame.index
        self._published += 1
        if self.slot.put(frame):
            self.frameReady.emit()
        self._count_dropped()

    def _count_dropped(self) -> None:
        """Frames not shown: replaced in a hand-off or the GUI slot, or skipped as late."""
        pipeline, stretch = self._running, self._stretch
        in_flight = pipeline.decoded.dropped + pipeline.restored.dropped if pipeline else 0
        skipped = stretch.skipped if stretch is not None else 0
        self.stats.dropped = self._dropped_before + in_flight + skipped + self.slot.replaced

    # Commands, in the worker.

    def _drain(self, wait: float | None) -> bool:
        """Carry out the pending commands (waiting up to `wait` seconds for one, None: for
        ever). A restart they ask for cancels the running stretch (and is applied when it has
        ended) or starts one when idle. False when the running stretch is being left."""
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
        if self._closing:
            if self._running is not None:
                self._running.cancel()
            return False
        if restart is not None:
            if self._running is None:
                self._apply(restart)
                return True
            self._restart = restart
            self._running.cancel()
        return self._restart is None

    def _apply(self, restart: Restart) -> None:
        if restart.opener is not None:
            self._open_now(restart.opener)
            return
        self._start, self._show_one, self._at_end = restart.start, restart.show_one, False
        self._step_credit = 0

    def _do_open(self, argument: tuple[Opener, bool]) -> Restart:
        opener, play = argument
        self._playing = play
        return Restart(opener=opener)

    def _do_play(self, _=None) -> Restart | None:
        self._playing = True
        self._clock.reset()
        if self._running is None and self._info is not None and not self._info.live:
            return Restart(0 if self._at_end else self._position + 1, show_one=False)
        return None

    def _do_pause(self, _=None) -> None:
        self._playing = False

    def _do_toggle(self, _=None) -> Restart | None:
        if self._playing and not self._at_end:
            return self._do_pause()
        return self._do_play()

    def _do_seek(self, index: int) -> Restart | None:
        if self._info is None or not self._info.seekable:
            return None
        last = (self._info.frame_count or index + 1) - 1
        return Restart(min(max(int(index), 0), last))

    def _do_step(self, delta: int) -> Restart | None:
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
        self._publish(self._chain.restore.push([replace(self._last, notes={})])[0])

    def _do_temporal(self, window: int | None) -> Restart | None:
        self._chain.temporal = window
        if self._running is None or self._info is None:
            return None
        if self._info.live:   # no going back: the running stretch takes the new chain
            self._running.stages = self._chain.for_stretch(live=True)
            return None
        return Restart(self._position, show_one=True)

    def _do_record(self, path: Path | None) -> None:
        if path is None:
            self._recorder.stop()
        elif self._info is None or not self._info.live or self._source is None:
            self.failed.emit("recording is for a live camera or stream; use Export for a file")
        else:
            self._recorder.start(Path(path), self._source)

    def _do_close(self, _=None) -> None:
        self._closing = True

    # Helpers of the worker.

    def _set_restorer(self, settings: RestorerSettings) -> bool:
        error = self._chain.build(settings)
        if error is not None:
            self.failed.emit(f"{settings.model} on {settings.backend}: {error}")
        else:
            self.settings = settings
        self.restorerChanged.emit(self.settings, self._chain.description)  # what is in use
        return error is None

    def _open_now(self, opener: Opener) -> None:
        self._recorder.stop()
        self._close_source()
        self._info, self._last, self._at_end, self._start = None, None, False, None
        self._position = 0
        try:
            source = opener()
        except Exception as exc:
            self.failed.emit(describe_error(exc))
            return
        self._source, self._info = source, SourceInfo.of(source)
        self._start, self._show_one = 0, True
        self.opened.emit(self._info)
        for note in source.notes:
            self.notice.emit(note)

    def _close_source(self) -> None:
        if self._source is not None:
            try:
                self._source.close()
            except Exception as exc:
                self.failed.emit(describe_error(exc))
            self._source = None

    def _emit_state(self) -> None:
        target = self._recorder.target
        self.stateChanged.emit(PlayState(self._playing, self._loop, self._at_end,
                                         str(target) if target else None))
