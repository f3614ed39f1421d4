"""The viewer driven without a person: spin the event loop until something happens, save a
screenshot of both compare modes, and measure how responsive the event loop stays while a
clip plays (the figures `deblur play --measure-responsiveness` reports)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PyQt6.QtGui import QImage, QPainter

from app.viewer.compare_view import MODES, SPLIT
from app.viewer.window import ViewerWindow
from common.atomic import atomic_output
from engine.measure.bench import machine_description
from engine.errors import InputError

TIMER_INTERVAL_MS = 10
WARM_UP_SECONDS = 1.0


def run_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Process Qt events until `condition()` holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)
    return True


def spin(seconds: float) -> None:
    """Run the event loop for `seconds` (timers fire as they would under app.exec())."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def save_screenshot(window: ViewerWindow, path: Path) -> Path:
    """The window in each compare mode (side by side, then split), stacked in one PNG."""
    previous = window.view.mode
    shots = []
    for mode in MODES:
        window.split_action.setChecked(mode == SPLIT)
        shots.append(window.grab().toImage())
    window.split_action.setChecked(previous == SPLIT)
    sheet = QImage(max(s.width() for s in shots), sum(s.height() for s in shots),
                   QImage.Format.Format_RGB32)
    sheet.fill(Qt.GlobalColor.black)
    painter = QPainter(sheet)
    y = 0
    for shot in shots:
        painter.drawImage(0, y, shot)
        y += shot.height()
    painter.end()
    path = Path(path)
    with atomic_output(path) as partial:
        if not sheet.save(str(partial), "PNG"):
            raise OSError(f"{path}: the screenshot could not be written")
    return path


def timer_lateness(seconds: float) -> np.ndarray:
    """Run the event loop for `seconds` with a repeating precise timer; how late (ms) each tick
    came after the one before, beyond the interval: the longest the loop was kept busy."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TIMER_INTERVAL_MS)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    spin(seconds)
    timer.stop()
    return np.maximum(np.diff(ticks) * 1000 - TIMER_INTERVAL_MS, 0) if len(ticks) > 1 \
        else np.zeros(1)


def _summary(lateness: np.ndarray) -> tuple[float, float, float]:
    return (float(np.percentile(lateness, 50)), float(np.percentile(lateness, 95)),
            float(lateness.max()))


@dataclass
class Responsiveness:
    seconds: float
    paused_ms: tuple[float, float, float]    # timer lateness p50, p95, max: the reference
    playing_ms: tuple[float, float, float]   # the same while the clip plays and is restored
    decoded_fps: float
    processed_fps: float
    displayed_fps: float
    dropped: int
    restorer: str
    source: str

    def report(self) -> str:
        ratio = self.displayed_fps / self.processed_fps if self.processed_fps else float("nan")

        def row(label: str, ms: tuple[float, float, float]) -> str:
            return f"  {label:19} p50 {ms[0]:5.1f}  p95 {ms[1]:5.1f}  max {ms[2]:6.1f}"
        return "\n".join([
            f"machine: {machine_description()}, Qt {QCoreApplication.instance().platformName()}",
            f"playing {self.source} with {self.restorer}, {self.seconds:.1f} s per phase",
            f"event loop: how late a {TIMER_INTERVAL_MS} ms timer fired (ms)",
            row("paused (reference)", self.paused_ms),
            row("playing", self.playing_ms),
            f"frames: decoded {self.decoded_fps:.2f} fps, processed {self.processed_fps:.2f} "
            f"fps, displayed {self.displayed_fps:.2f} fps (displayed/processed "
            f"{ratio:.3f}), dropped {self.dropped}"])


def measure_responsiveness(window: ViewerWindow, seconds: float,
                           open_timeout: float = 120.0) -> Responsiveness:
    """Time the event loop for `seconds` paused (the reference: what the machine gives an idle
    window) and `seconds` playing the open clip in a loop; count frames decoded, processed
    and displayed while it plays."""
    if not run_until(lambda: window.shown is not None, open_timeout):
        raise InputError(f"no frame was shown within {open_timeout:g} s: "
                           f"{window.banner.text or 'the source did not open'}")
    window.player.pause()
    spin(WARM_UP_SECONDS)
    paused = timer_lateness(seconds)
    window.loop_action.setChecked(True)
    window.player.play()
    spin(WARM_UP_SECONDS)
    stats = window.player.stats
    meters = (stats.decoded, stats.processed, stats.displayed)
    before, dropped_before = [m.count for m in meters], stats.dropped
    started = time.monotonic()
    playing = timer_lateness(seconds)
    elapsed = time.monotonic() - started
    rates = [(m.count - b) / elapsed for m, b in zip(meters, before)]
    temporal = (f" + temporal reference (window {window.temporal_window})"
                if window.temporal_action.isChecked() else "")
    return Responsiveness(elapsed, _summary(paused), _summary(playing), *rates,
                          stats.dropped - dropped_before,
                          window.restorer_label.text() + temporal,
                          window.info.name if window.info else "?")
