"""Where an export's 4:2:0 chroma sits: swscale's RGB -> YUV puts it at the centre of each
2x2 block, and x264/x265 streams say so (CHROMA_AT_CENTRE); untold, H.264 is read left-sited
and every colour edge comes back a quarter of a pixel off."""
from fractions import Fraction

import numpy as np

from engine.sinks import video_writer
from engine.sinks.video_writer import VideoWriter, merged_options
from engine.sources.file import FileSource


def _colour_waves(width: int = 96, height: int = 64) -> np.ndarray:
    """Red and blue in antiphase along x, a period of 9 px (fine colour detail at every
    phase of the 2-px chroma grid), the luma nearly flat."""
    phase = np.sin(2 * np.pi * np.arange(width) / 9)[None, :]
    frame = np.stack([128 + 90 * phase, 100 + 0 * phase, 128 - 90 * phase], axis=-1)
    return np.broadcast_to(frame, (height, width, 3)).round().astype(np.uint8)


def _round_trip_error(tmp_path, name: str) -> float:
    """Mean absolute RGB error of the waves written by the export's writer with x264 at CRF 0
    (lossless luma: only the chroma's subsampling and siting are left) and read back."""
    waves = _colour_waves()
    target = tmp_path / name
    with VideoWriter(target, time_base=Fraction(1, 30), rate=Fraction(30), crf=0) as writer:
        for i in range(3):
            writer.write(waves, i)
    source = FileSource(target)
    try:
        decoded = [frame.rgb for frame in source]
    finally:
        source.close()
    return float(np.mean([np.abs(d.astype(int) - waves).mean() for d in decoded]))


def test_h264_exports_say_their_chroma_sits_at_the_centre(tmp_path, monkeypatch):
    told = _round_trip_error(tmp_path, "told.mp4")
    monkeypatch.setattr(video_writer, "CHROMA_AT_CENTRE", {})
    untold = _round_trip_error(tmp_path, "untold.mp4")
    assert told < 0.8 * untold, (told, untold)


def test_codec_parameter_lists_are_merged_not_replaced():
    merged = merged_options({"crf": "18", "x264-params": "chromaloc=1"},
                            {"x264-params": "interlaced=1:tff=1", "crf": "0", "flags": "+ildct"})
    assert merged == {"crf": "0", "x264-params": "chromaloc=1:interlaced=1:tff=1",
                      "flags": "+ildct"}
    assert merged_options({}, {"x265-params": "log-level=error"}) == {
        "x265-params": "log-level=error"}
