"""A hand-held phone clip made from a still photo, and its aligned ground truth.

A virtual camera (handheld.py: pan, roll, zoom, and tremor in calm and shaky stretches) moves
over the photo; an object (a soft-masked layer cut from another photo, or dead-leaves shapes)
goes round its own path over it, occluding it. A frame is the average in linear light of
sub-frames along the exposure's motion (blur.render_exposure, as many sub-frames as the blur
is long), the photo's near-white brighter than white so highlights streak, then
Poisson-Gaussian sensor noise at one level for the clip; the clip is coded as a phone codes
it (H.264 yuv420p, CRF ~21). The truth is the scene at each exposure's mean pose, the object
at its mean position, without noise, written losslessly (FFV1 RGB in .mkv).

Each frame is rendered on a canvas a margin larger than the view, at the truth's pose (so
sub-frames see the scene, not a mirrored border), then cropped to the view.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import torch

from models.training.blur import BlurSynthesizer, _sub_frames, render_exposure, soft_blobs
from models.training.colour import linear_to_srgb, srgb_to_linear
from models.training.dead_leaves import dead_leaves
from models.training.eval_pairs import fit_crop
from models.training.handheld import (CALM, HandheldCamera, View, calibrate, exposure_times,
                                      relative_poses, rotation, to_view)
from models.training.trajectories import Poses
from models.training.video_shake import open_writer

PROCEDURAL = "procedural"     # object_image: dead-leaves shapes instead of a photo's cut-out


@dataclass(frozen=True)
class ClipConfig:
    width: int = 640
    height: int = 360
    frames: int = 90
    fps: float = 30.0
    max_blur: float = 40.0    # longest camera blur, px end to end at 1280x720, scaled to width
    exposure: float = 0.5     # fraction of the frame interval the shutter is open
    crf: int = 21             # H.264 constant quality of the blurred clip
    seed: int = 0


class ObjectPath:
    """An object going round an ellipse at a steady speed (0.25-0.6 view widths a second),
    about the point the camera means to look at, so it stays mostly in view."""

    def __init__(self, rng: np.random.Generator, width: int, height: int):
        self.radius = rng.uniform([0.12, 0.08], [0.3, 0.22]) * [width, height]
        self.omega = rng.choice([-1, 1]) * rng.uniform(0.25, 0.6) * width / self.radius.mean()
        self.phase = rng.uniform(0, 2 * np.pi)

    def at(self, times: np.ndarray, camera: HandheldCamera) -> np.ndarray:
        """N x 2 scene positions, relative to the scene's centre."""
        angle = self.omega * times + self.phase
        return camera.smooth_offset(times) + self.radius * np.stack(
            [np.cos(angle), np.sin(angle)], axis=-1)


@dataclass
class _Frame:
    view: View               # the camera at each sub-frame
    poses: Poses             # sub-frames -> the truth's pixels (on the canvas)
    object_mean: np.ndarray  # the object's scene position in the truth
    object_shift: np.ndarray  # N x 2: its own motion, in the truth's pixels


class PhotoClip:
    """The frames of one clip: `render(i)` -> (blurred, truth) uint8 RGB; `info()` says how
    it was made. `object_image`: uint8 RGB to cut the object from, PROCEDURAL, or None."""

    def __init__(self, photo: np.ndarray, config: ClipConfig = ClipConfig(),
                 object_image: np.ndarray | str | None = PROCEDURAL):
        cfg = self.config = config
        camera_rng, object_rng, sensor_rng = (np.random.default_rng(s) for s in
                                              np.random.SeedSequence(cfg.seed).spawn(3))
        width, height = cfg.width, cfg.height
        self.times = np.arange(cfg.frames) / cfg.fps
        open_s = cfg.exposure / cfg.fps
        self.camera = HandheldCamera(camera_rng, cfg.frames / cfg.fps, width, height)
        self.blur_px = calibrate(self.camera, self.times, open_s, cfg.max_blur * width / 1280)
        path = ObjectPath(object_rng, width, height) if object_image is not None else None
        self.object_px = np.zeros(cfg.frames)
        if path is not None:
            for i, t in enumerate(self.times):
                times = exposure_times(t, open_s, 16)
                moved = to_view(self.camera.view(times), path.at(times, self.camera))
                self.object_px[i] = np.ptp(moved, axis=0).max()
        self.margin = int(np.ceil(max(self.blur_px.max(), self.object_px.max()))) + 4
        canvas = (width + 2 * self.margin, height + 2 * self.margin)
        centre = ((canvas[0] - 1) / 2, (canvas[1] - 1) / 2)
        ys, xs = np.mgrid[0:canvas[1], 0:canvas[0]].astype(np.float64)
        self._canvas = np.stack([xs - centre[0], ys - centre[1]], axis=-1)
        self._frames = []
        for i, t in enumerate(self.times):
            times = exposure_times(t, open_s, _sub_frames(max(self.blur_px[i],
                                                              self.object_px[i])))
            view = self.camera.view(times)
            where = path.at(times, self.camera) if path is not None else np.zeros((len(times), 2))
            self._frames.append(_Frame(view, relative_poses(view, centre), where.mean(axis=0),
                                       to_view(view, where - where.mean(axis=0))))
        self.gain = sensor_rng.uniform(1.5, 4) if sensor_rng.random() < 0.5 else 1.0
        self.scene, self.photo_scale = self._scene(photo)
        self.texture = self.mask = None
        if path is not None:
            self.texture, self.mask = self._object(object_image, object_rng)
        self.noise = (10 ** sensor_rng.uniform(-4.5, -3.3), 10 ** sensor_rng.uniform(-6, -4.5))
        self._noise_seed = int(sensor_rng.integers(2 ** 31))

    def __len__(self) -> int:
        return len(self._frames)

    def _linear(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 RGB -> float32 linear light H x W x 3, near-white boosted by the clip's gain."""
        srgb = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255
        boosted = BlurSynthesizer._boost(srgb_to_linear(srgb), srgb, np.array([self.gain]))
        return np.ascontiguousarray(boosted[0].permute(1, 2, 0).numpy())

    def _scene(self, photo: np.ndarray) -> tuple[np.ndarray, float]:
        """The photo scaled just enough to hold every frame's canvas (down with an area filter,
        up, for small photos, bicubic); the scale is returned (above 1: a soft scene)."""
        reach = np.zeros(2)
        corners = self._canvas[[0, 0, -1, -1], [0, -1, 0, -1]]
        for frame in self._frames:
            offset, angle, zoom = frame.view.mean()
            reach = np.maximum(reach, np.abs(offset + corners @ rotation(angle).T / zoom).max(0))
        scale = max((2 * reach[0] + 8) / photo.shape[1], (2 * reach[1] + 8) / photo.shape[0])
        size = (round(photo.shape[1] * scale), round(photo.shape[0] * scale))
        resized = cv2.resize(photo, size, interpolation=cv2.INTER_AREA if scale < 1
                             else cv2.INTER_CUBIC)
        return self._linear(resized), float(scale)

    def _object(self, image: np.ndarray | str, rng: np.random.Generator):
        """Texture (linear light) and soft mask of the object, a square 0.8 x the view's
        short side; the mask fades out before the square's edge."""
        side = round(0.8 * min(self.config.width, self.config.height))
        rgb = dead_leaves(rng, side) if isinstance(image, str) else fit_crop(image, side, side)
        mask = soft_blobs(rng, 1, side, side, "cpu")[0, 0].numpy()
        edge = np.clip(np.minimum(np.arange(side), np.arange(side)[::-1]) / (0.1 * side), 0, 1)
        return self._linear(rgb), np.ascontiguousarray(mask * np.outer(edge, edge),
                                                       dtype=np.float32)

    def render(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        frame = self._frames[index]
        world = self._world(frame)
        background = cv2.remap(self.scene, world[..., 0], world[..., 1], cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT_101).clip(0)
        truth, layer, alpha = background, None, None
        if self.texture is not None:
            local = self._object_local(frame, world)
            layer = cv2.remap(self.texture, local[..., 0], local[..., 1], cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_REPLICATE).clip(0)
            alpha = self._alpha(local)[..., None]
            truth = alpha * layer + (1 - alpha) * background
        with torch.no_grad():
            blurred = render_exposure(_tensor(background), frame.poses, _tensor(layer),
                                      _tensor(alpha), frame.object_shift[None])
        blurred = self._sensor(blurred.clamp(0, 1), index)
        return (_srgb8(blurred[0].permute(1, 2, 0).numpy()[self._crop]),
                _srgb8(truth[self._crop]))

    def object_alpha(self, index: int) -> np.ndarray | None:
        """Where the object covers frame `index`'s truth (H x W float32 in [0, 1]); None in
        a clip without one. Its blurred image reaches further, by its motion (`info()`)."""
        if self.texture is None:
            return None
        frame = self._frames[index]
        return self._alpha(self._object_local(frame, self._world(frame)))[self._crop]

    @property
    def _crop(self) -> tuple[slice, slice]:
        return np.s_[self.margin:self.margin + self.config.height,
                     self.margin:self.margin + self.config.width]

    def _world(self, frame: _Frame) -> np.ndarray:
        """The canvas's pixels in the scene at the frame's mean pose."""
        offset, angle, zoom = frame.view.mean()
        return (self._scene_centre + offset
                + self._canvas @ rotation(angle).T / zoom).astype(np.float32)

    def _object_local(self, frame: _Frame, world: np.ndarray) -> np.ndarray:
        """The canvas's pixels in the object's square at the frame's mean pose."""
        corner = self._scene_centre + frame.object_mean - (self.mask.shape[0] - 1) / 2
        return world - corner.astype(np.float32)

    @property
    def _scene_centre(self) -> np.ndarray:
        return (np.array(self.scene.shape[1::-1]) - 1) / 2

    def _alpha(self, local: np.ndarray) -> np.ndarray:
        return cv2.remap(self.mask, local[..., 0], local[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def _sensor(self, linear: torch.Tensor, index: int) -> torch.Tensor:
        """Poisson-Gaussian noise, variance shot * x + read, the same levels all clip long."""
        shot, read = self.noise
        generator = torch.Generator().manual_seed(self._noise_seed + index)
        noise = torch.randn(linear.shape, generator=generator)
        return (linear + torch.sqrt(shot * linear + read) * noise).clamp(0, 1)

    def info(self) -> dict:
        """How the clip was made, with every frame's blur length (px end to end), its own
        motion's length for the object, and the tremor's strength (calm below 0.1)."""
        strength = self.camera.strength(self.times)
        return {**asdict(self.config), "photo_scale": round(self.photo_scale, 3),
                "highlight_gain": round(float(self.gain), 2),
                "noise": [float(f"{level:.3g}") for level in self.noise],
                "object": self.texture is not None,
                "per_frame": [{"blur_px": round(float(b), 2), "object_px": round(float(o), 2),
                               "shake": round(float(s), 3), "calm": bool(s < CALM)}
                              for b, o, s in zip(self.blur_px, self.object_px, strength)]}


def _tensor(image: np.ndarray | None) -> torch.Tensor | None:
    return None if image is None else torch.from_numpy(image).permute(2, 0, 1)[None]


def _srgb8(linear: np.ndarray) -> np.ndarray:
    srgb = linear_to_srgb(torch.from_numpy(np.ascontiguousarray(linear)).clamp(0, 1)).numpy()
    return np.ascontiguousarray((srgb * 255).round().astype(np.uint8))


def write_clip(clip: PhotoClip, targets: list[Path], about: dict | None = None,
               progress: Callable[[int], None] | None = None) -> None:
    """To `targets` (blurred, truth, info): the blurred clip as H.264 (yuv420p, the config's
    CRF, preset medium), the truth as FFV1 RGB (a .mkv) and, as JSON, `about` (where the
    photos came from) with clip.info()."""
    cfg = clip.config
    blurred, truth, info = targets
    outputs = [open_writer(blurred, cfg.width, cfg.height, cfg.fps, cfg.crf, preset="medium"),
               open_writer(truth, cfg.width, cfg.height, cfg.fps, lossless=True)]
    try:
        for index in range(len(clip)):
            for (container, stream), rgb in zip(outputs, clip.render(index)):
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = index
                container.mux(stream.encode(frame))
            if progress:
                progress(index + 1)
        for container, stream in outputs:
            container.mux(stream.encode(None))
    finally:
        for container, _ in outputs:
            container.close()
    Path(info).write_text(json.dumps({**(about or {}), **clip.info()}, indent=1) + "\n")
