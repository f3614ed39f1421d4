"""`deblur synth`: a smooth, continuous camera shake applied to a real sharp clip. Each output
frame is the exposure-long average of the clip's frame seen along the shake path (linear
light, as in blur.py), and the ground truth is the same frame at the exposure's mean pose, so
blurred and sharp frames are aligned pixel for pixel.

The path is hand tremor: a few sinusoids between 1 and 9 Hz with random phases plus a slow
drift, for translation and in-plane rotation; its speed is scaled so that the blur length at
1280x720 spans from sharp to `max_blur` pixels over the clip.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from models.training.blur import render_exposure
from models.training.colour import linear_to_srgb, srgb_to_linear
from models.training.trajectories import Poses

SUB_FRAMES = 24     # sub-frames per exposure


@dataclass(frozen=True)
class ShakeConfig:
    max_blur: float = 40.0    # pixels end to end at 1280 x 720, scaled to the clip's width
    exposure: float = 0.6     # fraction of the frame interval the shutter is open
    seed: int = 0


def tremor(rng: np.random.Generator, times: np.ndarray) -> np.ndarray:
    """Hand tremor: translation (x, y) and angle at `times` (seconds), in path units, as a
    few sinusoids between 1 and 9 Hz with random phases plus a slow drift."""
    out = np.zeros((len(times), 3))
    for axis in range(3):
        for freq in (1.3, 2.9, 5.7, 8.6):
            f = freq * rng.uniform(0.8, 1.25)
            out[:, axis] += np.sin(2 * np.pi * f * times + rng.uniform(0, 2 * np.pi)) / f
        out[:, axis] += 0.3 * np.sin(2 * np.pi * 0.2 * times + rng.uniform(0, 2 * np.pi))
    return out


def shake_path(rng: np.random.Generator, times: np.ndarray) -> np.ndarray:
    """Translation (x, y) and angle at `times` (seconds): smooth tremor plus drift, with a
    slowly varying intensity so the clip has calm and shaky stretches."""
    out = tremor(rng, times)
    intensity = 0.15 + 0.85 * (0.5 + 0.5 * np.sin(2 * np.pi * times / 4.0 + rng.uniform(0, 6)))
    return out * intensity[:, None]


def exposure_poses(path_fn, t0: float, duration: float, width: int, height: int,
                   px_per_unit: float, rad_per_unit: float) -> Poses:
    """Poses along [t0, t0 + duration] with the translation relative to their mean (the
    ground-truth pose), so the blur is centred on the sharp frame."""
    times = t0 + np.linspace(0, duration, SUB_FRAMES)
    path = path_fn(times)
    poses = Poses.identity(1, SUB_FRAMES, width, height)
    poses.shift[0] = (path[:, :2] - path[:, :2].mean(axis=0)) * px_per_unit
    poses.angle[0] = (path[:, 2] - path[:, 2].mean()) * rad_per_unit
    return poses


def _scale_to_max_blur(path_fn, fps: float, exposure: float, duration: float,
                       target_px: float) -> float:
    """Pixels per path unit such that the longest exposure's translation is target_px."""
    times = np.arange(0, duration, 1 / fps)
    lengths = []
    for t in times:
        segment = path_fn(t + np.linspace(0, exposure / fps, SUB_FRAMES))[:, :2]
        lengths.append(np.ptp(segment, axis=0).max())
    return target_px / max(max(lengths), 1e-9)


def synthesise(source: Path, blurred_out: Path, sharp_out: Path, config: ShakeConfig,
               width: int | None = None, crf: int = 18, progress=None) -> int:
    """Write the shaken clip and its aligned ground truth (H.264 in the given containers).
    `width` rescales (keeping the aspect, even sides). Returns the number of frames."""
    rng = np.random.default_rng(config.seed)
    phases = rng.integers(2 ** 31)
    path_fn = lambda t: shake_path(np.random.default_rng(phases), np.asarray(t))  # noqa: E731
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        duration = float(container.duration / 1e6) if container.duration else 60.0
        out_w = width or stream.codec_context.width
        out_h = round(stream.codec_context.height * out_w / stream.codec_context.width / 2) * 2
        px_per_unit = _scale_to_max_blur(path_fn, fps, config.exposure, duration,
                                         config.max_blur * out_w / 1280)
        rad_per_unit = 0.35 * px_per_unit / np.hypot(out_w, out_h)
        outputs = [open_writer(p, out_w, out_h, fps, crf) for p in (blurred_out, sharp_out)]
        count = 0
        for frame in container.decode(stream):
            rgb = frame.to_ndarray(format="rgb24", width=out_w, height=out_h)
            t0 = count / fps
            poses = exposure_poses(path_fn, t0, config.exposure / fps, out_w, out_h,
                                   px_per_unit, rad_per_unit)
            sharp = torch.from_numpy(rgb).permute(2, 0, 1).float()[None] / 255
            with torch.no_grad():
                blurred = linear_to_srgb(render_exposure(srgb_to_linear(sharp), poses))
            for (out, ostream), image in zip(outputs, (blurred, sharp)):
                pixels = (image[0].permute(1, 2, 0) * 255).round().byte().numpy()
                video = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
                video.pts = count
                out.mux(ostream.encode(video))
            count += 1
            if progress:
                progress(count)
        for out, ostream in outputs:
            out.mux(ostream.encode(None))
            out.close()
    return count


def open_writer(path: Path, width: int, height: int, fps: float, crf: int = 18,
                preset: str = "slow", lossless: bool = False):
    """H.264 yuv420p, tagged BT.601 (SMPTE 170M, limited range): the matrix swscale uses
    for the RGB -> YUV conversion, so the tags tell players the truth. `lossless`: FFV1 in
    RGB (bgr0, a .mkv), bit-exact, tagged sRGB, for ground truth."""
    container = av.open(str(path), "w")
    rate = Fraction(fps).limit_denominator(1001)
    stream = container.add_stream("ffv1" if lossless else "libx264", rate=rate)
    stream.width, stream.height = width, height
    stream.pix_fmt = "bgr0" if lossless else "yuv420p"
    stream.time_base = stream.codec_context.time_base = 1 / rate
    context = stream.codec_context
    if lossless:
        context.colorspace, context.color_primaries, context.color_trc = 0, 1, 13
    else:
        stream.options = {"crf": str(crf), "preset": preset}
        context.color_primaries = context.color_trc = context.colorspace = 6
    return container, stream
