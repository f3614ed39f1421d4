"""Text subtitles moved between the codecs containers can hold: an MP4 holds only mov_text,
Matroska holds SubRip, ASS and WebVTT but not mov_text, WebM only WebVTT. Each packet's words
are taken out of the source codec's framing and put into the target's; line breaks are kept,
styling (colours, fonts, positions) is not. Picture subtitles (DVD, PGS, DVB) have no words to
move and are not handled here."""
from __future__ import annotations

import html
import re
import struct

# What an output can be given, in order of preference (the first the container holds).
TARGETS = ("mov_text", "subrip", "webvtt")
# Codec names as FFmpeg's demuxers report them, by the framing of their packets.
_PLAIN = {"subrip", "srt", "text"}          # the cue's text, perhaps with <i>-style tags
_ASS = {"ass", "ssa"}                        # Matroska's 'ReadOrder,Layer,...,Text' lines
_ASS_FIELDS_BEFORE_TEXT = 8
_TAGS = re.compile(r"<[^>]*>")
_ASS_OVERRIDES = re.compile(r"\{[^}]*\}")


def readable(codec: str) -> bool:
    """Whether packets of this codec carry text that can be moved."""
    return codec in _PLAIN | _ASS | {"mov_text", "webvtt"}


def packet_text(codec: str, payload: bytes) -> str:
    """The words of one packet, with '\\n' between lines."""
    if codec == "mov_text":   # a 16-bit big-endian length, the UTF-8 text, then style boxes
        if len(payload) < 2:
            return ""
        (length,) = struct.unpack(">H", payload[:2])
        return payload[2:2 + length].decode("utf-8", "replace")
    text = payload.decode("utf-8", "replace")
    if codec in _ASS:
        fields = text.split(",", _ASS_FIELDS_BEFORE_TEXT)
        text = _ASS_OVERRIDES.sub("", fields[-1])
        return text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    text = _TAGS.sub("", text)
    return html.unescape(text) if codec == "webvtt" else text


def packet_payload(target: str, text: str) -> bytes:
    """One packet of the target codec holding `text`."""
    data = (html.escape(text, quote=False) if target == "webvtt" else text).encode("utf-8")
    if target == "mov_text":
        data = data[:0xFFFF]   # the length field is 16 bits
        return struct.pack(">H", len(data)) + data
    return data
