"""Trial writes in memory, made before the model loads: whether FFmpeg really writes a file of
the target's kind with a codec (header, one frame, trailer: some muxers only object when
closing), or with an input stream's packets copied as they are, so that an output it cannot
write is refused or adapted up front, not found out after the whole video was restored."""
from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import av
import numpy as np

from engine.sinks.decode_times import DecodeTimes

# AVFMT_NOFILE: image sequences (image2) name files themselves; AVFMT_NOTIMESTAMPS: bare
# streams (.h264, .yuv, ...) keep no frame times. Neither is a video file with its sound.
NO_FILE, NO_TIMESTAMPS = 0x0001, 0x0080


def memory_file(target: Path) -> io.BytesIO:
    """An in-memory file whose name makes FFmpeg pick the container `target` would get."""
    probe = io.BytesIO()
    probe.name = Path(target).name
    return probe


def container_format(target: Path) -> av.format.ContainerFormat | None:
    """The container the name of `target` implies (None: the extension names none)."""
    try:
        with av.open(memory_file(target), "w") as container:
            return container.format
    except ValueError:
        return None


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence what encoder libraries print straight to fd 2 (x265 and SVT-AV1 banners) while
    a trial runs; the real encode prints them once."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def video_trial(target: Path, codec: str, options: dict[str, str], pix_fmt: str) -> str | None:
    """None when a small file of `target`'s kind with `codec` video is written whole; else
    FFmpeg's reason."""
    if container_format(target).flags & NO_FILE:
        return "it writes picture files of its own"   # a trial would write one in the cwd
    return _video_trial(Path(target).suffix.lower(), codec, tuple(sorted(options.items())),
                        pix_fmt)


@cache
def _video_trial(suffix: str, codec: str, options: tuple, pix_fmt: str) -> str | None:
    try:
        with quiet_stderr(), av.open(memory_file(Path(f"trial{suffix}")), "w") as container:
            stream = container.add_stream(codec, rate=25, options=dict(options))
            stream.width = stream.height = 64
            stream.pix_fmt = pix_fmt
            container.start_encoding()
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame = frame.reformat(format=pix_fmt)
            frame.pts = 0
            decode_times = DecodeTimes(frame_ticks=1)   # as the writer does
            container.mux(decode_times.fix(stream.encode(frame)))
            container.mux(decode_times.fix(stream.encode(None)))
    except (av.error.FFmpegError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return None


def copy_trial(target: Path, stream: av.stream.Stream, packets: list[av.Packet]) -> bool:
    """Whether a file of `target`'s kind takes `stream` copied packet for packet: its header,
    `packets` (the stream's first few) and its trailer are written in memory."""
    try:
        with quiet_stderr(), av.open(memory_file(target), "w") as container:
            copy = container.add_stream_from_template(stream)
            container.start_encoding()
            for packet in packets:
                packet.stream = copy
                container.mux(packet)
    except (av.error.FFmpegError, ValueError):
        return False
    return True
