"""Colour of video frames: YUV -> RGB with the source's own matrix and range (BT.601/709/2020,
limited/full), and RGB -> YUV for the encoder with tags that tell players the truth.

Numbers are FFmpeg's AVColorSpace / AVColorRange / AVColorPrimaries / AVColorTransfer values
(the ones PyAV's codec contexts and frames carry). swscale wants its own SWS_CS_* matrix ids,
hence SWS_MATRIX."""
from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import Colorspace, ColorRange, VideoReformatter

from common.yuv import EXACT_YUV_TO_RGB
from engine.formats import chroma

BT709, UNSPECIFIED, FCC, BT470BG, SMPTE170M, SMPTE240M, BT2020_NCL, BT2020_CL = \
    1, 2, 4, 5, 6, 7, 9, 10
LIMITED, FULL = int(ColorRange.MPEG), int(ColorRange.JPEG)
SWS_MATRIX = {BT709: Colorspace.ITU709, FCC: Colorspace.FCC, BT470BG: Colorspace.ITU601,
              SMPTE170M: Colorspace.SMPTE170M, SMPTE240M: Colorspace.SMPTE240M,
              BT2020_NCL: Colorspace.BT2020, BT2020_CL: Colorspace.BT2020}

# The primaries and transfer that go with each matrix in its standard (BT.2020: 10-bit SDR).
STANDARD_PRIMARIES_TRC = {BT709: (1, 1), FCC: (4, 4), BT470BG: (5, 6), SMPTE170M: (6, 6),
                          SMPTE240M: (7, 7), BT2020_NCL: (9, 14), BT2020_CL: (9, 14)}


@dataclass(frozen=True)
class ColourTags:
    matrix: int      # AVColorSpace
    range: int       # AVColorRange
    primaries: int   # AVColorPrimaries
    trc: int         # AVColorTransferCharacteristic


def default_matrix(height: int) -> int:
    """What players assume for untagged video: BT.709 from 720 lines up, BT.601 below."""
    return BT709 if height >= 720 else SMPTE170M


def source_tags(coded: av.VideoFrame | av.video.codeccontext.VideoCodecContext) -> ColourTags:
    """The matrix and range a decoded frame (or a decoder, for its stream) was coded with,
    guessing as players do where the file says nothing: the matrix by size, the range from
    the yuvj pixel formats."""
    matrix = coded.colorspace if coded.colorspace in SWS_MATRIX else default_matrix(coded.height)
    if coded.color_range in (LIMITED, FULL):
        colour_range = coded.color_range
    else:
        pix_fmt = coded.format.name if isinstance(coded, av.VideoFrame) else coded.pix_fmt
        colour_range = FULL if (pix_fmt or "").startswith("yuvj") else LIMITED
    return ColourTags(matrix, colour_range, coded.color_primaries, coded.color_trc)


def output_tags(source: ColourTags | None, height: int) -> ColourTags:
    """Keep the source's matrix, range, primaries and transfer (we restore pixels, we do not
    regrade them); what the source leaves unsaid is filled with the standard players assume."""
    matrix = source.matrix if source and source.matrix in SWS_MATRIX else default_matrix(height)
    primaries, trc = STANDARD_PRIMARIES_TRC[matrix]
    if source is not None:
        primaries = source.primaries if source.primaries != UNSPECIFIED else primaries
        trc = source.trc if source.trc != UNSPECIFIED else trc
    return ColourTags(matrix, source.range if source else LIMITED, primaries, trc)


def to_rgb(frame: av.VideoFrame, reformatter: VideoReformatter,
           rgb_format: str = "rgb24") -> np.ndarray:
    """RGB of a decoded frame of any pixel format (8- or 10-bit), upright: the display-matrix
    rotation is applied in multiples of 90 degrees. uint8, or uint16 for 'rgb48le'."""
    if frame.format.name == rgb_format:
        rgb = frame.to_ndarray()
    else:
        tags = source_tags(frame)
        # the exact path for 8-bit RGB only: for rgb48le swscale's exact path disagrees with
        # its own 8-bit result by tens of levels (tests/test_depth.py), the default does not
        exact = EXACT_YUV_TO_RGB if rgb_format == "rgb24" else None
        rgb = reformatter.reformat(frame, format=rgb_format,
                                   src_colorspace=SWS_MATRIX[tags.matrix],
                                   src_color_range=tags.range,
                                   interpolation=exact).to_ndarray()
    quarter_turns = round(frame.rotation / 90) % 4   # rotation is counter-clockwise
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def from_rgb(rgb: np.ndarray, pix_fmt: str, tags: ColourTags, reformatter: VideoReformatter,
             left_sited: bool = False,
             source: tuple[np.ndarray, np.ndarray] | None = None) -> av.VideoFrame:
    """An encoder-ready frame in `pix_fmt` from uint8 (or uint16: 16-bit) RGB, converted with
    the matrix/range of `tags` and carrying them. `left_sited` (an H.264/HEVC stream): 8-bit
    4:2:0 chroma where such streams are read, and `source` (the RGB as decoded, the samples
    it was decoded from) written back where a pixel is unchanged (chroma.yuv420_frame)."""
    if left_sited and chroma.converts(pix_fmt, rgb, tags.matrix):
        frame = chroma.yuv420_frame(rgb, tags.matrix, tags.range, source)
    else:
        rgb_format = "rgb48le" if rgb.dtype == np.uint16 else "rgb24"
        frame = reformatter.reformat(av.VideoFrame.from_ndarray(rgb, format=rgb_format),
                                     format=pix_fmt, dst_colorspace=SWS_MATRIX[tags.matrix],
                                     dst_color_range=tags.range)
    frame.colorspace, frame.color_range = tags.matrix, tags.range
    return frame
