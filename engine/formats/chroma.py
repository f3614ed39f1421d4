"""8-bit 4:2:0 for H.264 and HEVC streams, with the chroma where their decoders read it, and
the source's own samples kept where a restoration left the pixels as they were.

An H.264 or HEVC stream that does not say where its chroma sits is read left-sited (each
sample on the even luma columns, between the two rows: their default, and FFmpeg's decoder
upsamples so); swscale's RGB -> 4:2:0 puts it at the centre of the 2x2 pixels, a quarter of a
pixel off, so every export shifted colour edges. Here the luma is swscale's and the chroma is
filtered onto the left-sited grid ([1 2 1] / 4 along a row, the two rows averaged).

Pixels the restoration did not change are written with the samples they were decoded from:
converting them back from RGB is not the inverse of the decoder's upsampling, and each such
round trip blurred the chroma again (bit-exact in a lossless export; measured on an H.264
clip transcoded unchanged at CRF 18: -0.25 dB against its truth, -0.39 converted)."""
from __future__ import annotations

import av
import cv2
import numpy as np

# The codecs whose streams are read left-sited (H.264 and HEVC's default chroma location)
LEFT_SITED_CODECS = ("libx264", "libx265", "h264_nvenc", "hevc_nvenc")
LEFT_SITED_SOURCES = ("h264", "hevc")      # decoders of such streams, whose planes can be
                                           # written back as they came
# (Kr, Kb) of each AVColorSpace this module converts: BT.709, FCC, BT.470BG, SMPTE 170M,
# SMPTE 240M, BT.2020
LUMA_WEIGHTS = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 5: (0.299, 0.114), 6: (0.299, 0.114),
                7: (0.212, 0.087), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}
# rows 2j and 2j+1, columns 2i-1 to 2i+1, written at (2j, 2i): anchor (x 1, y 0)
_LEFT_SITED = np.array([[1, 2, 1], [1, 2, 1]], np.float32) / 8
FULL = 2                                                          # AVColorRange JPEG


def coded_samples(frame: av.VideoFrame, decoder: str) -> np.ndarray | None:
    """The samples an export can write back for this decoded frame (Frame.coded): 8-bit
    4:2:0 from an H.264/HEVC decoder, unrotated; None for any other."""
    if decoder in LEFT_SITED_SOURCES and frame.format.name == "yuv420p" and not frame.rotation:
        return frame.to_ndarray()
    return None


def converts(pix_fmt: str, rgb: np.ndarray, matrix: int) -> bool:
    """Whether this module writes such a frame (else swscale does, centre-sited)."""
    return (pix_fmt == "yuv420p" and rgb.dtype == np.uint8 and matrix in LUMA_WEIGHTS
            and rgb.shape[0] % 2 == 0 and rgb.shape[1] % 2 == 0)


def left_sited_chroma(rgb: np.ndarray, matrix: int, colour_range: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Cb and Cr, H/2 x W/2 uint8, on the left-sited grid."""
    kr, kb = LUMA_WEIGHTS[matrix]
    x = rgb.astype(np.float32)
    luma = kr * x[..., 0] + (1 - kr - kb) * x[..., 1] + kb * x[..., 2]
    scale = 1.0 if colour_range == FULL else 224 / 255
    planes = []
    for difference, k in ((x[..., 2] - luma, kb), (x[..., 0] - luma, kr)):
        full = difference * (scale / (2 * (1 - k)))
        filtered = cv2.filter2D(full, -1, _LEFT_SITED, anchor=(1, 0),
                                borderType=cv2.BORDER_REPLICATE)
        planes.append(np.clip(filtered[0::2, 0::2] + 128.5, 0, 255).astype(np.uint8))
    return planes[0], planes[1]


def yuv420_frame(rgb: np.ndarray, converted: av.VideoFrame, matrix: int, colour_range: int,
                 source: tuple[np.ndarray, np.ndarray] | None = None) -> av.VideoFrame:
    """The frame to encode: `converted`'s luma (swscale's, from `rgb`), the chroma left-sited,
    and where `source` (the RGB as decoded, and the planes it was decoded from) shows a pixel
    unchanged, its own luma sample; a chroma sample where its 2x2 pixels all are."""
    h, w = rgb.shape[:2]
    luma = converted.to_ndarray()[:h]
    cb, cr = left_sited_chroma(rgb, matrix, colour_range)
    if source is not None:
        decoded, planes = source
        same = np.all(rgb == decoded, axis=2)
        luma = np.where(same, planes[:h], luma)
        block = same.reshape(h // 2, 2, w // 2, 2).all(axis=(1, 3))
        chroma = planes[h:].reshape(2, h // 2, w // 2)
        cb, cr = np.where(block, chroma[0], cb), np.where(block, chroma[1], cr)
    # PyAV's yuv420p array: the planes one after another, in rows of the luma's width
    samples = np.concatenate([luma.ravel(), cb.ravel(), cr.ravel()]).reshape(-1, w)
    return av.VideoFrame.from_ndarray(samples, format="yuv420p")
