"""Where frames come from: a file (PyAV decode), a camera (OpenCV), a network stream (PyAV).
Each source is an iterable of Frames with the same few attributes, so the pipeline and the
sinks never ask which kind they hold."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from engine.frames import Frame
from engine.errors import SourceLost
from engine.video_colour import ColourTags

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "udp://", "rtp://", "srt://", "tcp://",
                  "http://", "https://")


class Source(Protocol):
    name: str                      # for messages: the path, 'camera 0', the URL
    live: bool                     # frames arrive in real time; keep only the newest
    time_base: Fraction            # of the frames' pts
    rate: Fraction | None          # nominal frames per second, where known
    frame_count: int | None        # total frames, where known (files)
    corrupt: int                   # packets or frames that failed to decode, so far
    colour: ColourTags | None      # how the source was coded (None: untagged, e.g. a camera)

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


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
