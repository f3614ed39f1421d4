"""Network streams (rtsp://, udp://, http(s)://, ...) through PyAV, with timeouts on opening
and on every read, and reconnection when the stream stalls. pts start at 0 and stay
increasing across reconnects (the gap is the real time the stream was away)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction

import av
from av.video.reformatter import VideoReformatter

from engine.errors import InputError, SourceLost
from engine.frames import Frame
from engine.sources.base import Source
from engine.sources.file import decode_video, video_stream
from engine.formats.chroma import coded_samples
from engine.formats.colour import ColourTags, source_tags, to_rgb

# Low-latency demuxing: probe briefly, do not buffer ahead; keep going when the UDP socket
# buffer overruns (frames are lost, not the run).
LIVE_OPTIONS = {"fflags": "nobuffer", "flags": "low_delay", "analyzeduration": "1000000",
                "probesize": "500000", "overrun_nonfatal": "1", "fifo_size": "500000"}


class StreamSource(Source):
    live = True
    frame_count = None

    def __init__(self, url: str, open_timeout: float = 10.0, read_timeout: float = 5.0,
                 reconnects: int = 3):
        self.name = url
        self.open_timeout, self.read_timeout, self.reconnects = open_timeout, read_timeout, \
            reconnects
        self.reconnections = 0   # how many times the stream came back
        self._reformatter = VideoReformatter()
        self.container, self.stream = self._connect()
        self.colour: ColourTags = source_tags(self.stream.codec_context)
        self.time_base: Fraction = self.stream.time_base or Fraction(1, 90000)
        self.rate: Fraction | None = self.stream.average_rate or self.stream.guessed_rate

    def _connect(self, open_timeout: float | None = None) -> tuple[av.container.InputContainer,
                                                                  av.VideoStream]:
        open_timeout = open_timeout or self.open_timeout
        try:
            container = av.open(self.name, options=dict(LIVE_OPTIONS), metadata_errors="ignore",
                                timeout=(open_timeout, self.read_timeout))
        except av.error.ExitError:
            raise InputError(f"{self.name}: no stream arrived within {open_timeout:g} s"
                             ) from None
        except av.error.FFmpegError as exc:
            raise InputError(f"{self.name}: cannot be opened ({exc.strerror})") from None
        try:
            return container, video_stream(container, self.name)
        except InputError:
            container.close()
            raise

    def __iter__(self) -> Iterator[Frame]:
        index, offset, last_pts, last_seen, first_pts = 0, 0, None, None, None
        while True:
            try:
                for frame in decode_video(self.container, self.stream, self):
                    now = time.monotonic()
                    if frame.pts is None:
                        continue
                    here = round(frame.pts * self.stream.time_base / self.time_base)
                    if first_pts is None:   # first frame of this connection
                        first_pts = here
                        if last_pts is not None:   # continue after the real gap
                            offset = last_pts + round((now - last_seen) / self.time_base)
                    pts = here - first_pts + offset
                    if last_pts is not None and pts <= last_pts:
                        continue   # a repeated or reordered frame after a glitch
                    yield Frame(to_rgb(frame, self._reformatter), pts, self.time_base, index, now,
                                coded=coded_samples(frame, self.stream.codec_context.name)
                                if self.keeps_samples else None)
                    index, last_pts, last_seen = index + 1, pts, now
                return   # the server ended the stream
            except av.error.FFmpegError as exc:   # read timeout, connection reset, ...
                reason = "no data" if isinstance(exc, av.error.ExitError) else exc.strerror
            self.container.close()
            self._reconnect(reason, index)
            first_pts = None

    def _reconnect(self, reason: str, delivered: int) -> None:
        """Try to open the stream again, waiting longer each time; SourceLost when it stays
        away (the pipeline then ends and keeps what it has)."""
        for attempt in range(self.reconnects):
            time.sleep(min(0.5 * 2 ** attempt, 4.0))
            try:
                self.container, self.stream = self._connect(self.read_timeout)
                self.reconnections += 1
                return
            except InputError:
                continue
        raise SourceLost(f"{self.name}: stream lost ({reason}) after {delivered} frames; "
                         f"{self.reconnects} reconnection attempts failed")

    def close(self) -> None:
        self.container.close()
