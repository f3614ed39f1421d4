"""Decoding keeps a frame's brightness: a bright frame coded losslessly in YUV 4:2:0 comes back
at its own mean level. swscale's fast YUV -> RGB path truncated and gave every frame back about
one grey level dark, so exports came out darker than their source (engine/formats/colour.py)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.sources.file import FileSource
from models.training.compression import h264_roundtrip
from tests.videos import make_video


def bright_texture(index: int, width: int = 96, height: int = 64) -> np.ndarray:
    """A bright, smooth-ish texture with saturated colour (a sky, a white wall)."""
    rng = np.random.default_rng(index)
    base = np.array([150.0, 205.0, 235.0])
    y, x = np.mgrid[0:height, 0:width]
    wave = 12 * np.sin(x / 7.0)[..., None] + 8 * np.cos(y / 5.0)[..., None]
    return np.clip(base + wave + rng.normal(0, 3, (height, width, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("matrix", ["itu601", "itu709"])
def test_bright_frame_keeps_its_level(tmp_path, matrix):
    path = make_video(tmp_path / "bright.mp4", frames=3, width=96, height=64, matrix=matrix,
                      content=bright_texture, options={"qp": "0"})
    source = FileSource(path)
    frames = list(source)
    source.close()
    for frame in frames:
        original = bright_texture(frame.index).astype(np.float64)
        bias = (frame.rgb.astype(np.float64) - original).mean(axis=(0, 1))
        # the 4:2:0 chroma and 8-bit YUV cost a little per pixel, not a shift of the whole frame
        assert np.abs(bias).max() < 0.35, bias


def test_training_h264_roundtrip_keeps_the_level():
    """The H.264 artefacts the training inputs get must not come with a shift of the whole
    frame: the input would be darker than its target."""
    image = bright_texture(0, 192, 128)
    coded = h264_roundtrip(image, 18)
    weights = np.array([0.299, 0.587, 0.114])
    luma_bias = ((coded.astype(np.float64) - image) @ weights).mean()
    assert abs(luma_bias) < 0.35, luma_bias
