"""Recording the restored frames of a live source from the viewer: the same encoder set-up as
`deblur export --camera` (engine.jobs.video_export.open_writer: live preset, the container's
default codec), timestamps from the first recorded frame, temporary file renamed on stop."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from common.errors import UserError, describe_error
from engine.frames import Frame
from engine.sinks.video_writer import VideoWriter, default_codec
from engine.sources import Source
from engine.jobs.video_export import ExportSettings, open_writer


class Recorder:
    """At most one recording at a time; problems go to `failed`, news to `notice` (one line
    each, for the banner), never up the worker's stack."""

    def __init__(self, failed: Callable[[str], None], notice: Callable[[str], None]):
        self.failed, self.notice = failed, notice
        self._writer: VideoWriter | None = None
        self._zero: int | None = None

    @property
    def target(self) -> Path | None:
        return self._writer.target if self._writer is not None else None

    def start(self, path: Path, source: Source) -> None:
        self.stop()
        try:
            self._writer, _ = open_writer(source, Path(path),
                                          ExportSettings(codec=default_codec(Path(path))))
        except UserError as exc:
            self.failed(describe_error(exc))
            return
        self._zero = None
        self.notice(f"recording to {path}")

    def write(self, frame: Frame) -> None:
        if self._writer is None:
            return
        if self._zero is None:
            self._zero = frame.pts
        try:
            self._writer.write(frame.output, frame.pts - self._zero, frame.as_decoded)
        except Exception as exc:
            self._writer.abort()
            self._writer = None
            self.failed(f"recording stopped: {describe_error(exc)}")

    def stop(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
            self.notice(f"recorded {writer.frames} frames to {writer.target}")
        except Exception as exc:
            self.failed(f"recording not saved: {describe_error(exc)}")
