"""File sources: colour with the file's own matrix and range, 10-bit, rotation, odd sizes,
frame-accurate seek, corrupt packets counted, and one clear error per unusable input."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import InputError
from engine.sources import open_source
from engine.sources.file import FileSource
from tests.videos import (PATCHES, make_audio_only, make_corrupt, make_undecodable, make_video,
                          moving, patch_means, patches)


def _frames(path):
    source = FileSource(path)
    try:
        return list(source), source
    finally:
        source.close()


@pytest.mark.parametrize("matrix, colour_range", [("itu709", "MPEG"), ("itu601", "JPEG")])
def test_colours_decode_with_the_files_own_matrix_and_range(tmp_path, matrix, colour_range):
    path = make_video(tmp_path / "c.mp4", 3, matrix=matrix, colour_range=colour_range,
                      content=lambda i: patches(), options={"qp": "0"})
    frames, _ = _frames(path)
    assert np.abs(patch_means(frames[0].rgb) - PATCHES).max() <= 4
    # The same pixels read with the other matrix are clearly off: the tags matter.
    import av
    with av.open(str(path)) as container:
        raw = next(container.decode(video=0))
        other = "itu601" if matrix == "itu709" else "itu709"
        wrong = raw.to_ndarray(format="rgb24", src_colorspace=other,
                               src_color_range=colour_range)
    assert np.abs(patch_means(wrong) - PATCHES).max() > 8


def test_ten_bit_source_decodes_to_the_right_colours(tmp_path):
    path = make_video(tmp_path / "ten.mkv", 3, pix_fmt="yuv420p10le", matrix="itu709",
                      content=lambda i: patches(), options={"qp": "0"})
    frames, source = _frames(path)
    assert source.stream.codec_context.pix_fmt == "yuv420p10le"
    assert np.abs(patch_means(frames[0].rgb) - PATCHES).max() <= 4


def test_rotation_metadata_is_applied(tmp_path):
    marked = np.zeros((48, 64, 3), np.uint8)
    marked[:8, :8] = 255                      # top-left corner
    path = make_video(tmp_path / "rot.mp4", 2, rotation=90, content=lambda i: marked)
    frames, _ = _frames(path)
    rgb = frames[0].rgb
    assert rgb.shape == (64, 48, 3)           # displayed upright: portrait
    assert rgb[-8:, :8].mean() > 200 and rgb[:8, :8].mean() < 50   # turned counter-clockwise


def test_odd_sizes_and_every_frame_with_its_pts(tmp_path):
    path = make_video(tmp_path / "odd.mkv", 7, 63, 47, codec="ffv1", pix_fmt="yuv444p")
    frames, source = _frames(path)
    assert [f.index for f in frames] == list(range(7))
    assert all(f.rgb.shape == (47, 63, 3) for f in frames)
    assert [f.time for f in frames] == pytest.approx([i / 25 for i in range(7)])
    assert np.abs(frames[3].rgb.astype(int) - moving(3, 63, 47)).mean() < 2


def test_seek_is_frame_accurate(tmp_path):
    # B-frames and a keyframe every 5 frames: seeking must decode forward from a keyframe.
    path = make_video(tmp_path / "seek.mp4", 23, options={"bf": "2"})
    everything, _ = _frames(path)
    source = FileSource(path)
    for start in (13, 7, 0, 22):
        first = next(iter(source.frames(start)))
        assert first.index == start and first.pts == everything[start].pts
        np.testing.assert_array_equal(first.rgb, everything[start].rgb)
    assert list(source.frames(23)) == []
    source.close()


def test_corrupt_packets_are_skipped_and_counted(tmp_path):
    frames, source = _frames(make_corrupt(tmp_path, 40))
    assert source.corrupt > 0
    assert 20 <= len(frames) < 40 + source.corrupt


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "text", "audio-only",
                                  "unsupported codec"])
def test_unusable_inputs_name_the_file_and_the_reason(tmp_path, kind):
    path = {"missing": tmp_path / "none.mp4", "directory": tmp_path,
            "empty": tmp_path / "empty.mp4", "text": tmp_path / "notes.mp4",
            "audio-only": tmp_path / "sound.m4a", "unsupported codec": tmp_path / "avs3.mkv"}[kind]
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a video\n" * 20)
    elif kind == "audio-only":
        make_audio_only(path)
    elif kind == "unsupported codec":
        make_undecodable(path)
    with pytest.raises(InputError) as error:
        open_source(path)
    message = str(error.value)
    assert message.startswith(str(path)) and "\n" not in message
    expected = {"missing": "no such file", "directory": "directory", "empty": "empty",
                "text": "not a video", "audio-only": "no video stream",
                "unsupported codec": "not supported"}[kind]
    assert expected in message
