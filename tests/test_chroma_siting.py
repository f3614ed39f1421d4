"""Where an export's 4:2:0 chroma sits: H.264 is read left-sited, so its chroma is written
there (engine/formats/chroma.py; swscale's centred chroma came back a quarter of a pixel
off at every colour edge), and pixels a restoration left alone keep the source's samples."""
from fractions import Fraction

import av
import numpy as np
import pytest

from engine.formats import chroma
from engine.jobs.video_export import ExportSettings, export_video
from engine.sinks.video_writer import VideoWriter
from engine.sources.file import FileSource
from engine.stages.restore import PassThrough, RestoreStage
from tests.videos import make_video, moving


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


def test_h264_exports_write_their_chroma_where_decoders_read_it(tmp_path, monkeypatch):
    left = _round_trip_error(tmp_path, "left.mp4")
    monkeypatch.setattr(chroma, "converts", lambda *_: False)   # swscale's centred chroma
    centred = _round_trip_error(tmp_path, "centred.mp4")
    assert left < 0.8 * centred, (left, centred)


class _RightHalfDarker:
    """A restorer that changes the right half of every frame and leaves the left as it came."""
    description = "right half darker"

    def restore_batch(self, frames: np.ndarray) -> np.ndarray:
        out = frames.copy()
        out[:, :, frames.shape[2] // 2:] //= 2
        return out


def test_pixels_a_restoration_left_alone_keep_the_sources_own_samples(tmp_path):
    source_path = make_video(tmp_path / "in.mp4", 4, 96, 64, content=lambda i: moving(i, 96, 64))
    out = tmp_path / "out.mp4"
    source = FileSource(source_path)
    export_video(source, out, RestoreStage(_RightHalfDarker()), ExportSettings(crf=0))
    source.close()
    with av.open(str(source_path)) as before, av.open(str(out)) as after:
        pairs = list(zip((f.to_ndarray() for f in before.decode(video=0)),
                         (f.to_ndarray() for f in after.decode(video=0))))
    assert len(pairs) == 4
    for old, new in pairs:   # yuv420p: 64 rows of Y, then U and V in 32 rows of 96
        assert np.array_equal(old[:64, :48], new[:64, :48])            # the left half's luma
        assert not np.array_equal(old[:64, 48:], new[:64, 48:])
        u_old, u_new = old[64:].reshape(2, 32, 48), new[64:].reshape(2, 32, 48)
        assert np.array_equal(u_old[:, :, :24], u_new[:, :, :24])      # and its chroma


@pytest.mark.parametrize("codec, crf, name", [("libx264", 0, "out.mp4"), ("ffv1", None, "out.mkv")])
def test_an_untouched_lossless_export_is_the_source_sample_for_sample(tmp_path, codec, crf, name):
    source_path = make_video(tmp_path / "in.mp4", 4, 96, 64, content=lambda i: moving(i, 96, 64))
    out = tmp_path / name
    source = FileSource(source_path)
    export_video(source, out, RestoreStage(PassThrough("input")), ExportSettings(codec, crf))
    source.close()
    with av.open(str(source_path)) as before, av.open(str(out)) as after:
        assert all(np.array_equal(a.to_ndarray(), b.to_ndarray())
                   for a, b in zip(before.decode(video=0), after.decode(video=0)))
    # and the file says where its chroma sits, so it reads back as the same pixels
    sources = FileSource(source_path), FileSource(out)
    try:
        assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(*sources))
    finally:
        for opened in sources:
            opened.close()


def test_the_conversion_agrees_with_swscale_where_colour_is_flat():
    """On a flat colour siting does not matter: the conversion is swscale's, give or take a
    rounding step (BT.601 and BT.709, limited and full range)."""
    rgb = np.broadcast_to(np.array([180, 90, 40], np.uint8), (16, 16, 3)).copy()
    for matrix, name in ((6, "ITU601"), (1, "ITU709")):
        for colour_range, range_name in ((1, "MPEG"), (2, "JPEG")):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format="yuv420p", dst_colorspace=name, dst_color_range=range_name)
            planes = frame.to_ndarray()[16:].reshape(2, 8, 8)
            cb, cr = chroma.left_sited_chroma(rgb, matrix, colour_range)
            luma = chroma.luma_plane(rgb, matrix, colour_range)
            assert np.abs(cb.astype(int) - planes[0]).max() <= 1
            assert np.abs(cr.astype(int) - planes[1]).max() <= 1
            assert np.abs(luma.astype(int) - frame.to_ndarray()[:16]).max() <= 1


def test_one_changed_pixel_takes_its_own_luma_and_its_blocks_chroma_from_the_new_rgb():
    h, w = 8, 12
    rgb = np.full((h, w, 3), 120, np.uint8)
    decoded = rgb.copy()
    decoded[3, 5, 0] = 121                           # the restoration changed one pixel by one
    planes = np.zeros((h * 3 // 2, w), np.uint8)     # source samples unlike any conversion
    planes[:h] = 7
    frame = chroma.yuv420_frame(rgb, 6, 1, (decoded, planes))
    samples = frame.to_ndarray()
    luma, (cb, cr) = samples[:h], samples[h:].reshape(2, h // 2, w // 2)
    assert luma[3, 5] != 7 and (luma == 7).sum() == h * w - 1
    assert cb[1, 2] != 0 and cr[1, 2] != 0           # the 2x2 block of pixel (3, 5)
    assert (cb == 0).sum() == (cr == 0).sum() == (h // 2) * (w // 2) - 1
