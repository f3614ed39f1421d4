"""An export running in a background thread: the engine's export_video (pipeline + encoder,
temporary file renamed on success) with progress signals and a cancel that leaves no file."""
from __future__ import annotations

import threading
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from common.errors import describe_error
from engine.stages.restorer import RestorerSettings
from engine.sources import open_source
from engine.pipeline.stats import PipelineStats
from engine.jobs.video_export import ExportSettings, export_video


class Cancelled(Exception):
    """Raised from the progress callback: the pipeline stops and the writer discards its file."""


class ExportJob(QObject):
    progress = pyqtSignal(int, int, float)   # frames written, total (0: unknown), output fps
    succeeded = pyqtSignal(object)           # engine.jobs.video_export.ExportResult
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, input_path: Path, output: Path, restorer: RestorerSettings,
                 settings: ExportSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.input_path, self.output = Path(input_path), Path(output)
        self.restorer, self.settings = restorer, settings
        self._cancel = threading.Event()
        self._total = 0
        self._thread = threading.Thread(target=self._run, name="viewer-export", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Stop at the next frame; the partial output is removed."""
        self._cancel.set()

    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            source = open_source(self.input_path)
            try:
                self._total = source.frame_count or 0
                restorer = self.restorer.build()
                self._check_cancel()
                result = export_video(source, self.output, restorer,
                                      self.settings, on_output=self._on_output)
            finally:
                source.close()
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:   # reported in the dialog; the viewer goes on
            self.failed.emit(describe_error(exc))
        else:
            self.succeeded.emit(result)

    def _on_output(self, stats: PipelineStats) -> None:
        self._check_cancel()
        self.progress.emit(stats.frames_out, self._total, stats.output_fps)

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise Cancelled
