"""The encoder: restored RGB frames -> a video file through PyAV. Codec by name, container from
the extension, every frame's pts kept (variable frame rate stays variable), colour matrix,
range, primaries and transfer tagged, the input's audio and subtitles copied packet for
packet. Written to a temporary file beside the target and renamed on close(); abort() (or an
exception inside `with`) removes it."""
from __future__ import annotations

from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from common.atomic import PendingFile
from engine.errors import InputError, OutputError
from engine.jobs.images import IMAGE_SUFFIXES
from engine.jobs.outputs import os_error_line
from engine.sinks.decode_times import DecodeTimes, frame_ticks
from engine.sinks.pixel_formats import format_notes, pixel_format
from engine.sinks.stream_copy import StreamCopier, StreamPlan, plan_streams
from engine.sinks.trial import (NO_FILE, NO_TIMESTAMPS, container_format, memory_file,
                                 video_trial)
from engine.formats.chroma import written_left_sited
from engine.formats.colour import ColourTags, from_rgb, output_tags

CODECS = ("libx264", "libx265", "libsvtav1", "libvpx-vp9", "prores_ks", "ffv1", "h264_nvenc",
          "hevc_nvenc")
# Without --codec: the first of these the container holds. x264 plays everywhere; WebM takes
# only VP8/VP9/AV1; an old container may take only MPEG-4 Part 2.
DEFAULT_CODECS = ("libx264", "libvpx-vp9", "libsvtav1", "mpeg4", "ffv1")
# libvpx: constant quality needs a zero bit rate; its default speed (cpu-used 1) is slower
# than the model on most machines.
VP9_OPTIONS = {"b": "0", "deadline": "good", "cpu-used": "4", "row-mt": "1"}
CRF_CODECS = {"libx264", "libx265", "libsvtav1", "libvpx-vp9", "libaom-av1"}
DEFAULT_CRF = 18
# Re-encoding a decoded H.264 frame as the type its source gave it (I, P, B) loses the least:
# a held-out clip's calm, unchanged stretch came out 1.0 dB worse than its input where the
# restored frames before it had shifted x264's own B-frame pattern, 0.5 dB with the source's
# (BENCHMARKS.md, "Frame types"). FFmpeg's libx264/libx265 wrappers take a frame's pict_type.
FOLLOWS_PICTURE_TYPES = ("libx264", "libx265")
SOURCE_PICTURE_TYPES = (1, 2, 3)   # PictureType I, P, B
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow")
VIDEO_NAMES = "name the output .mp4, .mkv, .mov or .webm"


@cache
def encoder_available(name: str) -> bool:
    """Whether this machine can encode with `name`: the codec is in the FFmpeg build and, for
    hardware encoders (NVENC), a small encoder actually opens."""
    try:
        codec = av.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    if codec.type != "video":
        return False
    if "nvenc" not in name:
        return True
    context = av.CodecContext.create(name, "w")
    context.width, context.height, context.pix_fmt = 256, 256, "yuv420p"
    context.time_base = Fraction(1, 25)
    try:
        context.open()
        return True
    except av.error.FFmpegError:
        return False


def available_codecs() -> list[str]:
    return [name for name in CODECS if encoder_available(name)]


def encoder_options(codec: str, crf: int | None, preset: str | None = None) -> dict[str, str]:
    """FFmpeg options for `codec`: constant quality (crf 18 by default, where the codec has
    such a mode) and, for x264/x265, the speed preset (their default: medium)."""
    options = dict(VP9_OPTIONS) if codec == "libvpx-vp9" else {}
    if codec in CRF_CODECS:
        options["crf"] = str(DEFAULT_CRF if crf is None else crf)
    elif "nvenc" in codec:
        options.update(rc="vbr", cq=str(DEFAULT_CRF if crf is None else crf), preset="p5")
    elif crf is not None:
        raise InputError(f"--crf does not apply to {codec} (it has no constant-quality mode)")
    if preset is not None:
        if codec not in ("libx264", "libx265") or preset not in X26X_PRESETS:
            raise InputError(f"--preset applies to libx264 and libx265: one of "
                             f"{', '.join(X26X_PRESETS)}")
        options["preset"] = preset
    return options


def container_takes(target: Path, codec: str) -> bool | None:
    """Whether the container the name of `target` implies can hold `codec` video (None: the
    extension names no container). Asked of FFmpeg on an in-memory file."""
    try:
        container = av.open(memory_file(target), "w")
    except ValueError:
        return None
    with container:
        try:
            container.add_stream(codec)
        except ValueError:
            return False
    return True


def default_codec(target: Path) -> str:
    """The encoder for `target` when none is named: the first of DEFAULT_CODECS that this
    machine has and the container takes (libx264 where none does: check_output explains)."""
    return next((codec for codec in DEFAULT_CODECS
                 if encoder_available(codec) and container_takes(target, codec)), "libx264")


def check_output(target: Path, codec: str, crf: int | None, preset: str | None = None) -> None:
    """Refuse, before anything is written or loaded, a codec this machine lacks, a --crf the
    codec has no use for, an extension naming no container, a picture format or a bare stream
    (no frame times, no sound), or a container that cannot hold the codec: FFmpeg writes a
    small file of that kind in memory first, trailer included."""
    target = Path(target)
    if not encoder_available(codec):
        raise InputError(f"codec {codec!r} is not available on this machine; available: "
                         f"{', '.join(available_codecs())}")
    options = encoder_options(codec, crf, preset)
    container = container_format(target)
    if container is None:
        raise InputError(f"{target}: cannot tell the container format from the extension "
                         f"{target.suffix!r}; {VIDEO_NAMES}")
    if target.suffix.lower() in IMAGE_SUFFIXES or container.flags & NO_FILE:
        raise InputError(f"{target}: {target.suffix} is a picture format, not a video; "
                         f"{VIDEO_NAMES} (deblur image restores pictures)")
    if container.flags & NO_TIMESTAMPS:
        raise InputError(f"{target}: a {target.suffix} file ({container.long_name}) keeps no "
                         f"frame times; {VIDEO_NAMES}")
    if not container_takes(target, codec):
        raise InputError(f"{target}: a {target.suffix} file cannot hold {codec} video; choose "
                         "another extension (.mkv holds everything)")
    problem = video_trial(target, codec, options, pixel_format(codec, 64, 64))
    if problem is not None:
        raise InputError(f"{target}: FFmpeg cannot write a {target.suffix} file with {codec} "
                         f"video ({problem}); choose another extension (.mkv holds everything)")


class VideoWriter:
    def __init__(self, target: Path, *, time_base: Fraction, rate: Fraction | None,
                 codec: str = "libx264", crf: int | None = None, colour: ColourTags | None = None,
                 copy_from: Path | None = None, preset: str | None = None,
                 streams: StreamPlan | None = None, source_format: str | None = None,
                 extra_options: dict[str, str] | None = None):
        check_output(target, codec, crf, preset)
        self.target, self.codec, self.time_base, self.rate = Path(target), codec, time_base, rate
        self.options = {**encoder_options(codec, crf, preset), **(extra_options or {})}
        self.source_format = source_format   # depth and chroma to keep, where the codec can
        self.source_colour, self.copy_from = colour, copy_from
        # The fate of the sound and subtitles is settled before the first frame.
        if copy_from is not None and streams is None:
            streams = plan_streams(copy_from, self.target)
        self.streams = streams
        self.notes: list[str] = list(streams.notes) if streams else []   # what was changed
        self.frames = 0
        try:
            self.pending = PendingFile(self.target)
        except OSError as exc:
            raise InputError(os_error_line(self.target.parent, exc)) from None
        try:
            self.container = av.open(str(self.pending.path), "w")
        except OSError as exc:
            self.pending.discard()
            raise InputError(os_error_line(self.target, exc)) from None
        except BaseException:   # Ctrl-C or SIGTERM right here: no temporary file is left
            self.pending.discard()
            raise
        self.stream: av.VideoStream | None = None
        self.left_sited = False   # 4:2:0 chroma written left-sited (formats/chroma.py)
        self.colour: ColourTags | None = None   # what the output is tagged, from the 1st frame
        self.copier: StreamCopier | None = None
        self._reformatter = VideoReformatter()
        self._last_pts: int | None = None

    def _start(self, width: int, height: int) -> None:
        """Add the streams once the first frame gives the size (the header follows)."""
        self.left_sited = written_left_sited(self.codec, self.container.format.name)
        # say where the chroma sits (H.264's VUI, Matroska's ChromaSiting), for every decoder
        options = {**self.options, **({"chroma_sample_location": "left"}
                                      if self.left_sited else {})}
        stream = self.container.add_stream(self.codec, rate=self.rate, options=options)
        stream.width, stream.height = width, height
        stream.pix_fmt, notes = format_notes(self.codec, width, height, self.source_format)
        self.notes += notes
        stream.time_base = stream.codec_context.time_base = self.time_base
        self.colour = output_tags(self.source_colour, height)
        context = stream.codec_context
        context.colorspace, context.color_range = self.colour.matrix, self.colour.range
        context.color_primaries, context.color_trc = self.colour.primaries, self.colour.trc
        self.stream = stream
        self.decode_times = DecodeTimes(frame_ticks(self.rate, self.time_base))
        if self.copy_from is not None:
            self.copier = StreamCopier(self.copy_from, self.container, self.streams)
        try:
            self.container.start_encoding()   # opens the encoders and writes the header
        except OSError as exc:
            raise self._failed(exc) from None
        except av.error.FFmpegError as exc:
            raise InputError(f"{self.target}: FFmpeg cannot write this {self.target.suffix} "
                             f"file with {self.codec} ({exc.strerror})") from None

    def write(self, rgb: np.ndarray, pts: int,
              source: tuple[np.ndarray, np.ndarray] | None = None,
              picture_type: int = 0) -> None:
        """Encode one RGB frame (uint8, or uint16 for a deep source) at `pts` (time_base
        units); `source`: the RGB as the source decoded it and the 4:2:0 samples it came
        from (Frame.coded), written back where a pixel is unchanged; `picture_type`: how
        the source coded it (Frame.picture_type), followed with those samples by x264/x265.
        A pts that does not increase (a glitch in the source) is moved one tick past the
        previous one: the encoder requires order."""
        if self.stream is None:
            self._start(rgb.shape[1], rgb.shape[0])
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        if source is not None and not (self.left_sited and self._same_coding(source)):
            source = None
        frame = from_rgb(rgb, self.stream.pix_fmt, self.colour, self._reformatter,
                         self.left_sited, source)
        frame.pts, frame.time_base = pts, self.time_base
        if source is not None and self.codec in FOLLOWS_PICTURE_TYPES \
                and picture_type in SOURCE_PICTURE_TYPES:
            frame.pict_type = av.video.frame.PictureType(picture_type)
        self.decode_times.fed(pts)
        try:
            self.container.mux(self.decode_times.fix(self.stream.encode(frame)))
            if self.copier is not None:
                self.copier.copy_until(float(pts * self.time_base))
        except OSError as exc:   # av.error.OSError too: ENOSPC, EIO, a file system gone
            raise self._failed(exc) from None
        self._last_pts = pts
        self.frames += 1

    def _same_coding(self, source: tuple[np.ndarray, np.ndarray]) -> bool:
        """Whether the source's samples mean here what they meant there: the same size, 4:2:0
        (the stream's too), matrix and range."""
        decoded, coded = source
        h, w = decoded.shape[:2]
        return (self.stream.pix_fmt == "yuv420p" and coded.shape == (h * 3 // 2, w)
                and self.source_colour is not None
                and (self.source_colour.matrix, self.source_colour.range)
                == (self.colour.matrix, self.colour.range))

    def close(self) -> None:
        """Flush the encoder, copy the rest of the sound, finish the file and rename it."""
        if self.stream is None:
            self.abort()
            raise InputError(f"{self.target}: no frames to write")
        try:
            self.container.mux(self.decode_times.fix(self.stream.encode(None)))
            if self.copier is not None:
                self.copier.finish()
            self.container.close()
            self.pending.commit()
        except OSError as exc:
            self.abort()
            raise self._failed(exc) from None
        except BaseException:
            self.abort()
            raise

    def _failed(self, exc: OSError) -> OutputError:
        return OutputError(os_error_line(self.target, exc,
                                         f" after {self.frames} frames, so nothing was kept"))

    def abort(self) -> None:
        """Stop and remove the temporary file; the target is left as it was."""
        for closable in (self.copier, self.container):
            try:
                if closable is not None:
                    closable.close()
            except (av.error.FFmpegError, OSError):
                pass
        self.pending.discard()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
