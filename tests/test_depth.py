"""No silent downgrades in `deblur export`: 10-bit stays 10-bit and 4:2:2 stays 4:2:2 where the
codec holds it (the input's extra bits survive the 8-bit model), HDR metadata is carried where
PyAV can write it, interlaced input is deinterlaced, and whatever is changed or left out is
said in one line."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from av.sidedata.sidedata import Type

from app.cli import main
from engine.sources.file import FileSource
from engine.jobs.video_export import ExportSettings, export_video
from engine.stages.restore import PassThrough, RestoreStage
from tests.videos import make_deep_video, make_video

HDR10 = ("master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)"
         "L(10000000,1):max-cll=1000,400")


def first_frame(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as container:
        return next(container.decode(video=0))


def luma(path: Path) -> np.ndarray:
    """The Y plane of every frame, as integers at the file's own depth."""
    with av.open(str(path)) as container:
        return np.stack([f.reformat(format="yuv444p16le").to_ndarray()[0] >> 6
                         for f in container.decode(video=0)])


def notes(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("deblur:")]


@pytest.mark.parametrize("source_codec, pix_fmt, suffix, codec, expected", [
    ("libx265", "yuv420p10le", ".mkv", "libx265", "yuv420p10le"),
    ("libx265", "yuv420p10le", ".mp4", "libx264", "yuv420p10le"),
    ("prores_ks", "yuv422p10le", ".mov", "prores_ks", "yuv422p10le"),
    ("prores_ks", "yuv422p10le", ".mp4", "libx264", "yuv422p10le"),
    ("ffv1", "yuv444p10le", ".mkv", "ffv1", "yuv444p10le")])
def test_depth_and_chroma_are_kept_where_the_codec_holds_them(
        tmp_path, weights_dir, capsys, source_codec, pix_fmt, suffix, codec, expected):
    source = make_deep_video(tmp_path / f"in.{source_codec}.mkv" if source_codec != "prores_ks"
                             else tmp_path / "in.mov", codec=source_codec, pix_fmt=pix_fmt)
    out = tmp_path / f"out{suffix}"
    assert main(["export", str(source), "-o", str(out), "--codec", codec]) == 0
    assert first_frame(out).format.name == expected
    assert f"deblur: encoded as {expected} ({codec}, 64x48)" in notes(capsys)


def test_the_inputs_extra_bits_survive_the_8_bit_model(tmp_path):
    """With a model that changes nothing, a 10-bit ramp comes back within a code value or so;
    through 8 bits it would be in steps of four."""
    source_path = make_deep_video(tmp_path / "in.mkv")
    source = FileSource(source_path)
    out = tmp_path / "out.mkv"
    export_video(source, out, RestoreStage(PassThrough("input")), ExportSettings(codec="ffv1"))
    source.close()
    before, after = luma(source_path), luma(out)
    assert np.abs(after.astype(int) - before).max() <= 2
    assert len(np.unique(after)) > 3 * len(np.unique(before >> 2))


def test_a_codec_without_10_bit_here_says_what_is_lost(tmp_path, weights_dir, capsys):
    source = make_deep_video(tmp_path / "in.mkv")
    out = tmp_path / "out.webm"                      # this FFmpeg's libvpx is 8-bit only
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert first_frame(out).format.name == "yuv420p"
    assert ("deblur: video: the input's yuv420p10le is written as yuv420p (10-bit as 8-bit): "
            "libvpx-vp9 has no closer format here; --codec ffv1 (.mkv) keeps it") in notes(capsys)


def side_data(path: Path) -> dict:
    frame = first_frame(path)
    return {kind: bytes(frame.side_data.get(kind)) for kind in
            (Type.MASTERING_DISPLAY_METADATA, Type.CONTENT_LIGHT_LEVEL)
            if frame.side_data.get(kind) is not None}


@pytest.fixture
def hdr_source(tmp_path) -> Path:
    source = make_deep_video(tmp_path / "hdr.mkv", codec="libx265",
                             options={"x265-params": f"log-level=error:{HDR10}"})
    assert len(side_data(source)) == 2
    return source


def test_hdr_metadata_is_carried_by_libx265(tmp_path, weights_dir, hdr_source):
    out = tmp_path / "out.mkv"
    assert main(["export", str(hdr_source), "-o", str(out), "--codec", "libx265"]) == 0
    assert side_data(out) == side_data(hdr_source)


def test_hdr_metadata_other_encoders_cannot_take_is_said_to_be_left_out(
        tmp_path, weights_dir, capsys, hdr_source):
    out = tmp_path / "out.mkv"
    assert main(["export", str(hdr_source), "-o", str(out), "--codec", "ffv1"]) == 0
    assert side_data(out) == {}
    assert ("deblur: video: the input's HDR mastering-display and content-light metadata "
            "cannot be written with ffv1 through PyAV; left out (--codec libx265 keeps it)"
            ) in notes(capsys)


def test_interlaced_input_is_deinterlaced_and_said(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mkv", 8, options={
        "flags": "+ildct+ilme", "x264-params": "interlaced=1:tff=1"})
    assert first_frame(source).interlaced_frame
    out = tmp_path / "out.mp4"
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert (f"deblur: {source}: interlaced (top field first); deinterlaced with bwdif, one "
            "frame out per frame in") in notes(capsys)
    with av.open(str(out)) as container, av.open(str(source)) as original:
        frames = list(container.decode(video=0))
        times = [float(f.pts * f.time_base) for f in original.decode(video=0)]
    assert not any(f.interlaced_frame for f in frames)
    assert [float(f.pts * f.time_base) for f in frames] == pytest.approx(times, abs=1e-3)


def test_a_second_video_stream_is_said_to_be_left_out(tmp_path, weights_dir, capsys):
    source = make_deep_video(tmp_path / "two.mkv", pix_fmt="yuv420p", second_video=True)
    out = tmp_path / "out.mkv"
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert ("deblur: video stream #1 (h264): left out (only the first video stream, #0, is "
            "restored)") in notes(capsys)
    with av.open(str(out)) as container:
        assert [s.type for s in container.streams] == ["video"]
