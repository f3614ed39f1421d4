"""Audio and subtitle streams of the input carried into the output packet for packet, read
alongside the video so the file stays interleaved and memory stays flat. A stream whose codec
the output container cannot hold is re-encoded (audio), converted to a text codec it holds
(text subtitles) or left out (picture subtitles), and a note says so."""
from __future__ import annotations

from pathlib import Path

import av

from engine.sinks import subtitle_text
from engine.sources.file import open_container

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


class _AudioReencoder:
    """Decode one audio stream and encode it with a codec the container can hold (PyAV's
    encoder resamples and re-frames as the codec needs)."""

    def __init__(self, source: av.AudioStream, output: av.container.OutputContainer,
                 codec: str):
        self.stream = output.add_stream(codec, rate=source.rate)
        self.stream.layout = source.layout
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


class StreamCopier:
    def __init__(self, source: Path, output: av.container.OutputContainer, notes: list[str]):
        self.input = open_container(source)
        self.output = output
        self.copies: dict[int, av.stream.Stream] = {}
        # Streams the container cannot hold as they are: re-encoded or re-framed.
        self.converters: dict[int, _AudioReencoder | _SubtitleConverter] = {}
        suffix = Path(output.name).suffix
        for stream in self.input.streams:
            if stream.type not in ("audio", "subtitle") or stream.codec_context is None:
                continue
            codec = stream.codec_context.name
            label = f"{stream.type} stream #{stream.index} ({codec})"
            if container_holds(output, stream.codec_context.codec.id):
                copy = output.add_stream_from_template(stream)
                copy.metadata.update(stream.metadata)
                self.copies[stream.index] = copy
            elif stream.type == "audio" and (target := self._audio_codec()):
                self.converters[stream.index] = _AudioReencoder(stream, output, target)
                notes.append(f"{label}: a {suffix} file cannot hold {codec}; re-encoded to "
                             f"{target}")
            elif stream.type == "subtitle" and (target := self._subtitle_codec(codec)):
                self.converters[stream.index] = _SubtitleConverter(stream, output, target)
                notes.append(f"{label}: a {suffix} file cannot hold {codec}; converted to "
                             f"{target} (the words and line breaks; styling is left out)")
            else:
                notes.append(f"{label}: a {suffix} file cannot hold {codec}; left out "
                             "(a .mkv output keeps it)")
        streams = [s for s in self.input.streams if s.index in self.copies or
                   s.index in self.converters]
        self._packets = self.input.demux(streams) if streams else iter(())
        self._held: av.Packet | None = None

    def _audio_codec(self) -> str | None:
        for name in (self.output.default_audio_codec, *AUDIO_FALLBACKS):
            if container_holds(self.output, codec_id(name)):
                try:
                    av.Codec(name, "w")
                    return name
                except (av.codec.codec.UnknownCodecError, ValueError):
                    continue
        return None

    def _subtitle_codec(self, source_codec: str) -> str | None:
        if not subtitle_text.readable(source_codec):
            return None   # picture subtitles
        return next((name for name in subtitle_text.TARGETS
                     if container_holds(self.output, codec_id(name))), None)

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
