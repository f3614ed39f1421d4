"""The player's side that the GUI thread calls: each command is posted to the worker's queue
and returns at once (the worker carries them out between frames, player.py); the newest frame
is taken from the one-frame slot. A mixin of Player, which owns the queue, the slot and the
worker thread."""
from __future__ import annotations

from pathlib import Path

from app.viewer.session import Opener
from engine.frames import Frame
from engine.stages.restorer import RestorerSettings


class PlayerCommands:
    def start(self) -> None:
        """Start the worker (after the signals are connected: it loads the model first)."""
        self._thread.start()

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

    def set_temporal(self, window: int | None) -> None:
        """Temporal reference on (frames each side) or off (None), from the frame on screen."""
        self._post("temporal", window)

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

    def take_frame(self) -> Frame | None:
        """The newest frame for the GUI (None when there is none): frame.rgb the input,
        frame.output its restoration, frame.made_by the restorer's description."""
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

