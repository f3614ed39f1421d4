"""Codec artefacts on blurred training frames: JPEG (OpenCV) or one intra-coded H.264 frame
(libx264 through PyAV), applied per image with given probabilities, on the CPU."""
from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import torch

from common.yuv import EXACT_YUV_TO_RGB


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]


def h264_roundtrip(rgb: np.ndarray, crf: int) -> np.ndarray:
    """Encode one frame with libx264 (yuv420p) and decode it back; odd sides are padded."""
    height, width = rgb.shape[:2]
    padded = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height = padded.shape[1], padded.shape[0]
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"crf": str(crf), "preset": "ultrafast"}
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
    packets = list(encoder.encode(frame)) + list(encoder.encode(None))
    decoder = av.CodecContext.create("h264", "r")
    decoded = [f for p in packets for f in decoder.decode(p)] + list(decoder.decode(None))
    # exact rounding, as the product decodes: the default path would make inputs darker
    # than their targets
    return decoded[0].reformat(format="rgb24", interpolation=EXACT_YUV_TO_RGB).to_ndarray()[
        :height, :width]


def compress_batch(images: torch.Tensor, rng: np.random.Generator, jpeg_prob: float,
                   h264_prob: float) -> torch.Tensor:
    """B x 3 x H x W in [0, 1]; each image is JPEG-coded, H.264-coded or left alone."""
    choice = rng.random(images.shape[0])
    out = images
    for i, c in enumerate(choice):
        if c >= jpeg_prob + h264_prob:
            continue
        rgb = (images[i].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().cpu().numpy()
        coded = jpeg_roundtrip(rgb, int(rng.integers(40, 96))) if c < jpeg_prob \
            else h264_roundtrip(rgb, int(rng.integers(20, 36)))
        if out is images:
            out = images.clone()
        out[i] = torch.from_numpy(np.ascontiguousarray(coded)).to(images.device).permute(
            2, 0, 1).float() / 255
    return out
