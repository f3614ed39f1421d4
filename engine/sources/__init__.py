"""Where frames come from: a file (PyAV decode), a camera (OpenCV), a network stream (PyAV).
Every source is a `Source` (base.py: the contract), so the pipeline, the sinks, the export plan
and the viewer read them without asking which kind they hold; open_source opens one."""
from __future__ import annotations

from pathlib import Path

from engine.errors import SourceLost
from engine.sources.base import Source

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "udp://", "rtp://", "srt://", "tcp://",
                  "http://", "https://")


def open_source(path: Path | None = None, camera: int | None = None, url: str | None = None,
                camera_size: tuple[int, int] | None = None,
                camera_fps: float | None = None) -> Source:
    """Open exactly one of a file, a camera index (asking for a size and rate) or a stream."""
    from engine.sources.camera import CameraSource
    from engine.sources.file import FileSource
    from engine.sources.stream import StreamSource
    if camera is not None:
        width, height = camera_size or (None, None)
        return CameraSource(camera, width, height, camera_fps)
    if url is not None:
        return StreamSource(url)
    if path is None:
        raise ValueError("open_source needs a path, a camera or a URL")
    if str(path).startswith(STREAM_SCHEMES):
        return StreamSource(str(path))
    return FileSource(path)


__all__ = ["STREAM_SCHEMES", "Source", "SourceLost", "open_source"]
