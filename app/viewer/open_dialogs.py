"""The questions the viewer asks before it opens a source: a file, a camera (by name where the
system lists them), a stream URL. Each returns the answer, or None when the user cancelled."""
from __future__ import annotations

from PyQt6.QtWidgets import QFileDialog, QInputDialog, QWidget

from engine.sources.camera_list import list_cameras

VIDEO_FILTER = ("Videos (*.mp4 *.mkv *.mov *.avi *.webm *.m4v *.mpg *.mpeg *.ts *.wmv);;"
                "All files (*)")


def ask_for_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open a video", "", VIDEO_FILTER)
    return path or None


def ask_for_camera(parent: QWidget) -> int | None:
    """A list of the cameras found, by name; where none is listed (not Linux, or no sysfs), an
    index to try."""
    cameras = list_cameras()
    if not cameras:
        index, ok = QInputDialog.getInt(parent, "Open a camera", "No camera is listed; "
                                        "camera index (/dev/videoN):", 0, 0, 63)
        return index if ok else None
    labels = [camera.label() for camera in cameras]
    choice, ok = QInputDialog.getItem(parent, "Open a camera", "Camera:", labels, 0, False)
    return cameras[labels.index(choice)].index if ok and choice in labels else None


def ask_for_url(parent: QWidget) -> str | None:
    url, ok = QInputDialog.getText(parent, "Open a stream", "URL (rtsp://, udp://, "
                                   "http(s)://):")
    return url.strip() if ok and url.strip() else None
