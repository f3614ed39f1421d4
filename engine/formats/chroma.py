"""8-bit 4:2:0 for H.264 and HEVC streams (and FFV1 in Matroska, which says where its chroma
sits), with the chroma where their decoders read it, and the source's own samples kept where
a restoration left the pixels as they were.

An H.264 or HEVC stream that does not say where its chroma sits is read left-sited (each
sample on the even luma columns, between the two rows: their default, and FFmpeg's decoder
upsamples so); swscale's RGB -> 4:2:0 puts it at the centre of the 2x2 pixels, a quarter of a
pixel off, so every export shifted colour edges. Here the chroma is filtered onto the
left-sited grid ([1 2 1] / 4 along a row, the two rows averaged), in OpenCV: 3.3 ms a
640x360 frame, 24 ms at 1080p, against swscale's 1.2 and 13 ms (2-core AMD EPYC; the
encoder's own time is far larger), and 0.3 / 3.7 ms for a frame written as its samples.

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
SITING_CONTAINERS = ("matroska", "webm")   # they say where the chroma sits (ChromaSiting),
                                           # so FFV1 in them is read as it was written
# (Kr, Kb) of each AVColorSpace this module converts: BT.709, FCC, BT.470BG, SMPTE 170M,
# SMPTE 240M, BT.2020
LUMA_WEIGHTS = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 5: (0.299, 0.114), 6: (0.299, 0.114),
                7: (0.212, 0.087), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}
FULL = 2                                                          # AVColorRange JPEG


def written_left_sited(codec: str, container: str) -> bool:
    """Whether an export writes 4:2:0 chroma left-sited (and says so): H.264 and HEVC, and
    FFV1 in Matroska; other codecs keep swscale's centred chroma."""
    return codec in LEFT_SITED_CODECS or (
        codec == "ffv1" and any(name in SITING_CONTAINERS for name in container.split(",")))


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


def _scales(colour_range: int) -> tuple[float, float, float]:
    """Luma's scale, chroma's and luma's offset for this range (limited: 219 and 224 of 255
    levels, from 16)."""
    if colour_range == FULL:
        return 1.0, 1.0, 0.0
    return 219 / 255, 224 / 255, 16.0


def luma_plane(rgb: np.ndarray, matrix: int, colour_range: int) -> np.ndarray:
    """Y, H x W uint8, rounded (OpenCV's transform saturates and rounds)."""
    kr, kb = LUMA_WEIGHTS[matrix]
    y_scale, _, offset = _scales(colour_range)
    weights = np.array([[kr * y_scale, (1 - kr - kb) * y_scale, kb * y_scale, offset]],
                       np.float32)
    return cv2.transform(rgb, weights)


def left_sited_chroma(rgb: np.ndarray, matrix: int, colour_range: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Cb and Cr, H/2 x W/2 uint8, on the left-sited grid. Chroma is linear in RGB, so the
    two rows are summed first, converted, filtered [1 2 1] along the row and taken on the
    even columns."""
    kr, kb = LUMA_WEIGHTS[matrix]
    kg = 1 - kr - kb
    _, c_scale, _ = _scales(colour_range)
    cb, cr = c_scale / (2 * (1 - kb)) / 8, c_scale / (2 * (1 - kr)) / 8   # /8: the filter's sum
    rows = cv2.add(rgb[0::2], rgb[1::2], dtype=cv2.CV_32F)                # H/2 x W x 3, x2
    # Cb = (B - Y) cb, Cr = (R - Y) cr, with Y = kr R + kg G + kb B
    weights = np.array([[-kr * cb, -kg * cb, (1 - kb) * cb],
                        [(1 - kr) * cr, -kg * cr, -kb * cr]], np.float32)
    differences = cv2.transform(rows, weights)
    filtered = cv2.filter2D(differences, -1, np.array([[1, 2, 1]], np.float32),
                            borderType=cv2.BORDER_REPLICATE)
    levels = cv2.convertScaleAbs(filtered, beta=128)   # round(x + 128), x above -128.5
    cb_plane, cr_plane = cv2.split(np.ascontiguousarray(levels[:, 0::2]))
    return cb_plane, cr_plane


def yuv420_frame(rgb: np.ndarray, matrix: int, colour_range: int,
                 source: tuple[np.ndarray, np.ndarray] | None = None) -> av.VideoFrame:
    """The frame to encode: `rgb`'s luma and its chroma left-sited, and where `source` (the
    RGB as decoded, and the samples it was decoded from) shows a pixel unchanged, its own
    luma sample; a chroma sample where its 2x2 pixels all are. A frame unchanged throughout
    is its samples, converted not at all."""
    h, w = rgb.shape[:2]
    if source is not None:
        decoded, planes = source
        difference = cv2.absdiff(rgb, decoded)
        changed = cv2.max(cv2.max(difference[..., 0], difference[..., 1]), difference[..., 2])
        if not cv2.countNonZero(changed):
            return av.VideoFrame.from_ndarray(planes, format="yuv420p")
    luma = luma_plane(rgb, matrix, colour_range)
    cb, cr = left_sited_chroma(rgb, matrix, colour_range)
    if source is not None:
        changed = cv2.threshold(changed, 0, 255, cv2.THRESH_BINARY)[1]
        luma = np.where(changed == 0, planes[:h], luma)
        # a chroma sample is the source's where none of its 2x2 pixels changed (any one of
        # them makes the block's mean at least 64)
        block = cv2.resize(changed, (w // 2, h // 2), interpolation=cv2.INTER_AREA) == 0
        chroma = planes[h:].reshape(2, h // 2, w // 2)
        cb, cr = np.where(block, chroma[0], cb), np.where(block, chroma[1], cr)
    # PyAV's yuv420p array: the planes one after another, in rows of the luma's width
    samples = np.concatenate([luma.ravel(), cb.ravel(), cr.ravel()]).reshape(-1, w)
    return av.VideoFrame.from_ndarray(samples, format="yuv420p")
