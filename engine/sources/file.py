"""Video files through PyAV: threaded decoding, frames with pts/time_base/index, RGB with the
file's own colour matrix and range, rotation honoured, interlaced video deinterlaced (bwdif),
16-bit RGB beside the 8-bit one for high-bit-depth files where asked, frame-accurate seek,
and packets that fail to decode skipped and counted rather than ending the run."""
from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.filter
from av.video.reformatter import VideoReformatter

from engine.formats.chroma import coded_samples
from engine.formats.depth import to_uint8
from engine.errors import InputError
from engine.frames import Frame
from engine.sources.base import Source
from engine.formats.colour import ColourTags, source_tags, to_rgb
from engine.formats.hdr import HdrMetadata, from_frame

MAX_CONSECUTIVE_DEMUX_ERRORS = 32
FIELD_ORDERS = {2: "top field first", 3: "bottom field first", 4: "top field first",
                5: "bottom field first"}   # AVFieldOrder TT, BB, TB, BT


def decode_video(container: av.container.InputContainer, stream: av.VideoStream,
                 counter: Source) -> Iterator[av.VideoFrame]:
    """Decoded frames of `stream`. A packet the decoder rejects, a frame it marks corrupt and a
    damaged stretch of the container count in `counter.corrupt`; decoding goes on after them."""
    demux_errors = 0
    while True:
        try:
            for packet in container.demux(stream):
                demux_errors = 0
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    counter.corrupt += 1
                    continue
                for frame in frames:
                    if frame.is_corrupt:
                        counter.corrupt += 1
                    yield frame
            return
        except (av.error.InvalidDataError, av.error.EOFError):
            counter.corrupt += 1
            demux_errors += 1
            if demux_errors >= MAX_CONSECUTIVE_DEMUX_ERRORS:
                return


def open_container(path: Path) -> av.container.InputContainer:
    """Open `path` for reading, or raise InputError naming it and saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes), not a video")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: not a video file FFmpeg can read ({exc.strerror})") from None


def deinterlace(frames: Iterator[av.VideoFrame],
                stream: av.VideoStream) -> Iterator[av.VideoFrame]:
    """Frames through FFmpeg's bwdif, one out per frame in (frames not marked interlaced pass
    unchanged), with pts back in the stream's time base (bwdif halves it)."""
    graph = av.filter.Graph()
    graph.link_nodes(graph.add_buffer(template=stream),
                     graph.add("bwdif", "mode=send_frame:parity=auto:deint=interlaced"),
                     graph.add("buffersink")).configure()

    def drain() -> Iterator[av.VideoFrame]:
        while True:
            try:
                out = graph.vpull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            if out.pts is not None and out.time_base != stream.time_base:
                out.pts = round(out.pts * out.time_base / stream.time_base)
                out.time_base = stream.time_base
            yield out
    for frame in frames:
        graph.vpush(frame)
        yield from drain()
    graph.vpush(None)
    yield from drain()


def first_frame_facts(path: Path, index: int) -> tuple[str | None, tuple | None, bool,
                                                       HdrMetadata]:
    """(pixel format, upright (width, height), interlaced, HDR metadata) of the first frame
    of stream `index`, decoded from a container of its own."""
    with av.open(str(path), metadata_errors="ignore") as container:
        for frame in decode_video(container, container.streams[index], Source()):
            size = (frame.width, frame.height)
            size = size[::-1] if round(frame.rotation / 90) % 2 else size
            return frame.format.name, size, bool(frame.interlaced_frame), from_frame(frame)
    return None, None, False, HdrMetadata()


def video_stream(container: av.container.InputContainer, name: str) -> av.VideoStream:
    """The first real video stream (cover art attached to audio files does not count)."""
    streams = [s for s in container.streams.video
               if not s.disposition & av.stream.Disposition.attached_pic]
    if not streams:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
        raise InputError(f"{name}: holds no video stream (only {kinds})")
    stream = streams[0]
    if stream.codec_context is None:   # PyAV found no decoder for the stream's codec
        raise InputError(f"{name}: its video codec is not supported (this FFmpeg build has no "
                         "decoder for it)")
    return stream


class FileSource(Source):
    live = False
    seekable = True

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = str(path)
        self.container = open_container(self.path)
        try:
            self.stream = video_stream(self.container, self.name)
        except InputError:
            self.container.close()
            raise
        self.stream.thread_type = "AUTO"   # frame + slice threads inside the decoder
        self.time_base: Fraction = self.stream.time_base or Fraction(1, 90000)
        self.rate: Fraction | None = self.stream.average_rate or self.stream.guessed_rate
        self.frame_count = self.stream.frames or self._estimated_count()
        self.colour: ColourTags = source_tags(self.stream.codec_context)
        self.pix_fmt, self.size, interlaced, self.hdr = first_frame_facts(self.path,
                                                                         self.stream.index)
        self.pix_fmt = self.pix_fmt or self.stream.codec_context.pix_fmt
        order = FIELD_ORDERS.get(self.stream.codec_context.field_order)
        self.interlaced = interlaced or order is not None
        self.notes = [f"{self.name}: interlaced ({order or 'marked per frame'}); deinterlaced "
                      "with bwdif, one frame out per frame in"] if self.interlaced else []
        self.deep = False   # also 16-bit RGB per frame (an export turns it on where kept)
        self._reformatter = VideoReformatter()
        self._pts_table: list[int] | None = None
        self._started = False   # a second pass must seek back first

    def _estimated_count(self) -> int | None:
        seconds = (self.stream.duration * self.time_base if self.stream.duration
                   else (self.container.duration or 0) / av.time_base)
        return round(seconds * self.rate) if seconds and self.rate else None

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, start: int = 0) -> Iterator[Frame]:
        """Frames from index `start` on: seek to the keyframe before it, decode forward and
        drop what precedes it, so the first frame is exactly frame `start`."""
        target = None
        if start > 0 or self._started:
            table = self.pts_table()
            if start >= len(table):
                return
            target = table[start]
            self.container.seek(target, stream=self.stream, backward=True)
        self._started = True
        index, last_pts = start, None
        step = round(1 / (self.rate * self.time_base)) if self.rate else 1
        decoded = decode_video(self.container, self.stream, self)
        for frame in deinterlace(decoded, self.stream) if self.interlaced else decoded:
            pts = frame.pts if frame.pts is not None else (
                last_pts + step if last_pts is not None else 0)
            if target is not None and pts < target:
                continue
            target, last_pts = None, pts
            deep = to_rgb(frame, self._reformatter, "rgb48le") if self.deep else None
            rgb = to_uint8(deep) if deep is not None else to_rgb(frame, self._reformatter)
            coded = (coded_samples(frame, self.stream.codec_context.name)
                     if self.keeps_samples and deep is None else None)
            yield Frame(rgb, pts, self.time_base, index, time.monotonic(), deep, coded=coded,
                        picture_type=int(frame.pict_type) if coded is not None else 0)
            index += 1

    def pts_table(self) -> list[int]:
        """Every frame's pts in presentation order, read from the packets (no decoding)."""
        if self._pts_table is None:
            with av.open(str(self.path), metadata_errors="ignore") as container:
                stream = container.streams[self.stream.index]
                self._pts_table = sorted(p.pts for p in container.demux(stream)
                                         if p.pts is not None and p.size)
        return self._pts_table

    def close(self) -> None:
        self.container.close()


def read_all(path: Path) -> list[Frame]:
    """Every frame of a short file, decoded into memory (clips for evaluation, training crops
    and benchmarks; never the export path, which streams)."""
    source = FileSource(path)
    try:
        return list(source)
    finally:
        source.close()
