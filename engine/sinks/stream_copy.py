"""Audio and subtitle streams of the input carried into the output packet for packet, read
alongside the video so the file stays interleaved and memory stays flat. A stream the output
container cannot hold (by its codec table or in a trial write) is re-encoded (audio),
converted to a text codec it holds (text subtitles) or left out (picture subtitles), decided
before the first frame and said in a note."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av

from engine.sinks import subtitle_text
from engine.sinks.trial import copy_trial, memory_file
from engine.sources.file import open_container, video_stream

AUDIO_FALLBACKS = ("aac", "libopus", "libvorbis", "libmp3lame", "flac", "pcm_s16le")


def codec_id(name: str) -> int | None:
    for mode in ("r", "w"):
        try:
            return av.Codec(name, mode).id
        except (av.codec.codec.UnknownCodecError, ValueError):
            continue
    return None


def container_holds(container: av.container.OutputContainer, codec: int | None) -> bool:
    """Whether the output container can hold the codec (an id). Formats without a codec table
    (MPEG-TS, MPEG-PS, ...) only vouch for their default codecs; for them the answer is yes and
    FFmpeg decides when the header is written."""
    supported = {codec_id(name) for name in container.supported_codecs}
    defaults = {codec_id(name) for name in (container.default_video_codec,
                                            container.default_audio_codec,
                                            container.default_subtitle_codec)}
    return supported <= defaults or codec in supported


# FFmpeg's default layout for a channel count: PCM in Matroska often leaves the order unsaid,
# which AAC and Opus encoders refuse.
DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1",
                   8: "7.1"}


def _ordered(layout: av.AudioLayout) -> av.AudioLayout | str:
    unordered = all(channel.name == "NONE" for channel in layout.channels)
    return DEFAULT_LAYOUTS.get(layout.nb_channels, layout) if unordered else layout


class _AudioReencoder:
    """Decode one audio stream and encode it with a codec the container can hold (PyAV's
    encoder resamples and re-frames as the codec needs)."""

    def __init__(self, source: av.AudioStream, output: av.container.OutputContainer,
                 codec: str):
        self.stream = output.add_stream(codec, rate=source.rate)
        self.stream.layout = _ordered(source.layout)
        self.output = output

    def mux(self, packet: av.Packet) -> None:
        for frame in packet.decode():
            frame.pts = None   # the encoder counts samples itself
            self.output.mux(self.stream.encode(frame))

    def flush(self) -> None:
        self.output.mux(self.stream.encode(None))


class _SubtitleConverter:
    """Text subtitle packets re-framed for a text codec the container holds, same times."""

    def __init__(self, source: av.stream.Stream, output: av.container.OutputContainer,
                 target: str):
        self.codec = source.codec_context.name
        self.stream = output.add_mux_stream(target)
        self.stream.time_base = source.time_base
        self.stream.metadata.update(source.metadata)
        self.output, self.target = output, target

    def mux(self, packet: av.Packet) -> None:
        text = subtitle_text.packet_text(self.codec, bytes(packet))
        if not text.strip():
            return   # mov_text's empty samples between cues: the target marks gaps itself
        converted = av.Packet(subtitle_text.packet_payload(self.target, text))
        converted.stream, converted.time_base = self.stream, packet.time_base
        converted.pts, converted.dts = packet.pts, packet.dts
        converted.duration = packet.duration
        self.output.mux(converted)

    def flush(self) -> None:
        pass


@dataclass
class StreamPlan:
    """What becomes of each audio and subtitle stream of the input, decided (and said) before
    the first frame is restored: copied, re-encoded or converted to a codec, or left out."""
    copy: list[int] = field(default_factory=list)                 # stream indexes
    convert: dict[int, tuple[str, str]] = field(default_factory=dict)   # index: (kind, codec)
    notes: list[str] = field(default_factory=list)


TRIAL_PACKETS = 8      # packets per stream muxed in the trial (PCM in MP4 fails on the trailer)
TRIAL_SCAN = 2000      # packets read at most to find them


def _first_packets(container: av.container.InputContainer,
                   streams: list[av.stream.Stream]) -> dict[int, list[av.Packet]]:
    found: dict[int, list[av.Packet]] = {s.index: [] for s in streams}
    for count, packet in enumerate(container.demux(streams) if streams else ()):
        if packet.size and len(found[packet.stream.index]) < TRIAL_PACKETS:
            found[packet.stream.index].append(packet)
        if count >= TRIAL_SCAN or all(len(p) >= TRIAL_PACKETS for p in found.values()):
            break
    return found


def plan_streams(source: Path, target: Path) -> StreamPlan:
    """Decide for each audio/subtitle stream of `source` what a file of `target`'s kind gets:
    a copy where its codec table holds the codec and a trial copy (header, packets, trailer)
    in memory succeeds, else a re-encode (audio) or a text conversion (subtitles), else
    nothing; one note for each stream that is not copied."""
    plan, suffix = StreamPlan(), Path(target).suffix
    with open_container(source) as container, av.open(memory_file(target), "w") as output:
        plan.notes += _left_out(container, video_stream(container, str(source)).index)
        streams = [s for s in container.streams if s.type in ("audio", "subtitle")
                   and s.codec_context is not None]
        packets = _first_packets(container, streams)
        for stream in streams:
            codec = stream.codec_context.name
            label = f"{stream.type} stream #{stream.index} ({codec})"
            if container_holds(output, stream.codec_context.codec.id) and copy_trial(
                    target, stream, packets[stream.index]):
                plan.copy.append(stream.index)
            elif stream.type == "audio" and (to := _audio_codec(output)):
                plan.convert[stream.index] = ("audio", to)
                plan.notes.append(f"{label}: a {suffix} file cannot hold {codec}; re-encoded to "
                                  f"{to}")
            elif stream.type == "subtitle" and (to := _subtitle_codec(output, codec)):
                plan.convert[stream.index] = ("subtitle", to)
                plan.notes.append(f"{label}: a {suffix} file cannot hold {codec}; converted to "
                                  f"{to} (the words and line breaks; styling is left out)")
            else:
                plan.notes.append(f"{label}: a {suffix} file cannot hold {codec}; left out "
                                  "(a .mkv output keeps it)")
    return plan


def _left_out(container: av.container.InputContainer, restored: int) -> list[str]:
    """Lines for the streams no output gets: other video streams (only one is restored),
    cover art, data and attachments, and audio or subtitles with no decoder here."""
    notes = []
    for stream in container.streams:
        codec = stream.codec_context.name if stream.codec_context is not None else "no decoder"
        label = f"{stream.type} stream #{stream.index} ({codec})"
        if stream.type == "video" and stream.index != restored:
            cover = stream.disposition & av.stream.Disposition.attached_pic
            why = "cover art" if cover else f"only the first video stream, #{restored}, " \
                "is restored"
            notes.append(f"{label}: left out ({why})")
        elif stream.type not in ("video", "audio", "subtitle") or stream.codec_context is None:
            notes.append(f"{label}: left out (not copied)")
    return notes


def _audio_codec(output: av.container.OutputContainer) -> str | None:
    for name in (output.default_audio_codec, *AUDIO_FALLBACKS):
        if container_holds(output, codec_id(name)):
            try:
                av.Codec(name, "w")
                return name
            except (av.codec.codec.UnknownCodecError, ValueError):
                continue
    return None


def _subtitle_codec(output: av.container.OutputContainer, source_codec: str) -> str | None:
    if not subtitle_text.readable(source_codec):
        return None   # picture subtitles
    return next((name for name in subtitle_text.TARGETS
                 if container_holds(output, codec_id(name))), None)


class StreamCopier:
    """Carries out a StreamPlan while the video is written: the planned streams are added to
    `output` and their packets muxed alongside the video."""

    def __init__(self, source: Path, output: av.container.OutputContainer, plan: StreamPlan):
        self.input = open_container(source)
        self.output = output
        self.copies: dict[int, av.stream.Stream] = {}
        self.converters: dict[int, _AudioReencoder | _SubtitleConverter] = {}
        for stream in self.input.streams:
            if stream.index in plan.copy:
                copy = output.add_stream_from_template(stream)
                copy.metadata.update(stream.metadata)
                self.copies[stream.index] = copy
            elif stream.index in plan.convert:
                kind, codec = plan.convert[stream.index]
                convert = _AudioReencoder if kind == "audio" else _SubtitleConverter
                self.converters[stream.index] = convert(stream, output, codec)
        streams = [s for s in self.input.streams if s.index in self.copies or
                   s.index in self.converters]
        self._packets = self.input.demux(streams) if streams else iter(())
        self._held: av.Packet | None = None

    def copy_until(self, seconds: float | None) -> None:
        """Mux the input's packets up to `seconds` of presentation time (None: all)."""
        while True:
            packet = self._held if self._held is not None else next(self._packets, None)
            self._held = None
            if packet is None:
                return
            if packet.dts is None and packet.pts is None:
                continue   # the demuxer's end-of-stream marker
            stamp = packet.dts if packet.dts is not None else packet.pts
            if seconds is not None and stamp * packet.time_base > seconds:
                self._held = packet
                return
            index = packet.stream.index
            if index in self.copies:
                packet.stream = self.copies[index]
                self.output.mux(packet)
            else:
                self.converters[index].mux(packet)

    def finish(self) -> None:
        self.copy_until(None)
        for converter in self.converters.values():
            converter.flush()
        self.input.close()

    def close(self) -> None:
        self.input.close()
