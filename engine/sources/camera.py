"""A camera through OpenCV (V4L2 on Linux): MJPG at the requested size and fps, with what the
driver actually granted read back and reported. Frames are stamped with the monotonic clock
at capture; pts count 1/90000 s from the first frame, so a recording keeps the real timing.

The capture object is made by an injectable factory (anything with cv2.VideoCapture's
isOpened/read/set/get/release), which is how tests run it without a camera."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Protocol

import cv2
import numpy as np

from engine.errors import InputError, SourceLost
from engine.frames import Frame
from engine.sources.base import Source
from engine.sources.camera_list import describe_cameras

TIME_BASE = Fraction(1, 90000)
FAILED_READS_BEFORE_LOST = 5   # a V4L2 camera pulled out fails every read from then on


class Capture(Protocol):
    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


def open_capture(index: int) -> Capture:
    """cv2.VideoCapture on V4L2 (Linux) or the platform default, without OpenCV's own
    warnings on stderr: a missing camera is reported once, by us."""
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(index, backend)
    finally:
        cv2.utils.logging.setLogLevel(level)


class CameraSource(Source):
    live = True
    time_base = TIME_BASE
    frame_count = None
    colour = None   # OpenCV hands over RGB already; the recording gets the default tags

    def __init__(self, index: int, width: int | None = None, height: int | None = None,
                 fps: float | None = None,
                 capture_factory: Callable[[int], Capture] | None = None):
        self.name = f"camera {index}"
        self.corrupt = 0
        self.capture = (capture_factory or open_capture)(index)
        if not self.capture.isOpened():
            self.capture.release()
            raise InputError(f"{self.name}: cannot be opened (absent, or busy in another "
                             f"program; {describe_cameras()})")
        self.notes = self._configure(width, height, fps)
        if not any(self.capture.read()[0] for _ in range(FAILED_READS_BEFORE_LOST)):
            self.capture.release()   # a camera that opens but never delivers (busy, broken)
            raise InputError(f"{self.name}: opened but delivers no frames")
        granted = self.capture.get(cv2.CAP_PROP_FPS)
        self.rate: Fraction | None = Fraction(granted).limit_denominator(1001) if granted > 0 \
            else None

    def _configure(self, width: int | None, height: int | None, fps: float | None) -> list[str]:
        """Ask for MJPG (USB cameras deliver high resolutions at full rate only compressed),
        then the size and rate; read back what the driver granted and say where it differs."""
        cap = self.capture
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        requested = [(cv2.CAP_PROP_FRAME_WIDTH, width, "width"),
                     (cv2.CAP_PROP_FRAME_HEIGHT, height, "height"), (cv2.CAP_PROP_FPS, fps, "fps")]
        for prop, value, _ in requested:
            if value:
                cap.set(prop, float(value))
        notes = []
        for prop, value, label in requested:
            got = cap.get(prop)
            if value and abs(got - value) > 0.01 * value:
                notes.append(f"{self.name}: asked for {label} {value:g}, the driver gave {got:g}")
        return notes

    def __iter__(self) -> Iterator[Frame]:
        """Read as fast as the camera delivers (the pipeline keeps only the newest frame);
        a camera that stops delivering is SourceLost."""
        index, failures, t0 = 0, 0, None
        while True:
            ok, bgr = self.capture.read()
            now = time.monotonic()
            if not ok or bgr is None:
                failures += 1
                if failures >= FAILED_READS_BEFORE_LOST:
                    raise SourceLost(f"{self.name}: stopped delivering frames after {index} "
                                     "(unplugged?)")
                continue
            failures = 0
            t0 = now if t0 is None else t0
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            yield Frame(rgb, round((now - t0) / TIME_BASE), TIME_BASE, index, now)
            index += 1

    def close(self) -> None:
        self.capture.release()
