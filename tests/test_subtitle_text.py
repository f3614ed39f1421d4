"""The words of a subtitle packet out of one codec's framing and into another's."""
import struct

from engine.sinks.subtitle_text import packet_payload, packet_text, readable


def test_words_come_out_of_each_framing():
    assert packet_text("subrip", "<i>Hello</i>\nthere".encode()) == "Hello\nthere"
    styled = struct.pack(">H", 5) + b"Hello" + b"\x00\x00\x00\x12styl" + bytes(14)
    assert packet_text("mov_text", styled) == "Hello"            # style boxes left behind
    assert packet_text("mov_text", b"\x00\x00") == ""             # a gap sample
    ass = r"3,0,Default,Bob,0,0,0,,{\i1}Hello,{\i0} you\Nthere"
    assert packet_text("ass", ass.encode()) == "Hello, you\nthere"   # commas in the text kept
    assert packet_text("webvtt", b"<v Bob>Fish &amp; chips</v>") == "Fish & chips"


def test_words_go_into_each_framing():
    assert packet_payload("mov_text", "Hé") == b"\x00\x03H\xc3\xa9"   # UTF-8 byte length
    assert packet_payload("subrip", "a < b") == b"a < b"
    assert packet_payload("webvtt", "a < b & c") == b"a &lt; b &amp; c"
    assert len(packet_payload("mov_text", "x" * 70000)) == 2 + 0xFFFF


def test_only_text_codecs_are_readable():
    assert all(readable(c) for c in ("subrip", "srt", "ass", "mov_text", "webvtt"))
    assert not any(readable(c) for c in ("dvd_subtitle", "hdmv_pgs_subtitle", "dvb_subtitle"))
