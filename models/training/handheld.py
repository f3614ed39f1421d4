"""A hand-held phone camera filming a still scene: where it looks at every instant, and the
poses of one exposure's sub-frames relative to the frame's sharp (mean) pose.

The camera follows a smooth path (a slow pan, a drifting roll, a slow zoom) plus hand tremor
(video_shake.tremor) whose strength comes and goes in stretches: calm ones, where the hand is
almost still and frames come out nearly sharp, and shaky ones. The strength scales the
tremor's velocity, integrated on a fine time grid, so a calm stretch stops the camera where
it is instead of pulling it back to the path. Lengths are output pixels at zoom 1 (the scene
is scaled so); the scene point at the view's centre is `offset` from the scene's centre.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.training.blur import pose_coords
from models.training.trajectories import Poses
from models.training.video_shake import tremor

DT = 1e-3            # seconds, the grid the tremor's velocity is integrated on
CALM = 0.1           # tremor strength below which a frame counts as calm


@dataclass(frozen=True)
class View:
    """Camera state at N instants: `offset` N x 2 scene pixels, `angle` N radians (roll),
    `zoom` N view pixels per scene pixel."""
    offset: np.ndarray
    angle: np.ndarray
    zoom: np.ndarray

    def mean(self) -> tuple[np.ndarray, float, float]:
        """The mean pose (zoom averaged in log): the pose of the sharp frame."""
        return self.offset.mean(axis=0), float(self.angle.mean()), \
            float(np.exp(np.log(self.zoom).mean()))


def stretches(rng: np.random.Generator, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Calm and shaky stretches in turn (which comes first is drawn): the times between
    them and the tremor strength of each. Stretches last 0.3-1.5 s, shorter in clips under
    4 s so that every clip has both."""
    scale = min(1.0, duration / 4.0)
    bounds = np.cumsum(rng.uniform(0.3, 1.5, int(np.ceil((duration + 1) / (0.3 * scale))))
                       * scale)
    first_shaky = rng.random() < 0.5
    levels = np.array([rng.uniform(0.4, 1.0) if (i % 2 == 0) == first_shaky
                       else rng.uniform(0.0, 0.04) for i in range(len(bounds) + 1)])
    return bounds, levels


def _ramped(times: np.ndarray, bounds: np.ndarray, levels: np.ndarray,
            ramp: float) -> np.ndarray:
    """Piecewise-constant levels joined by smoothstep ramps `ramp` seconds long."""
    out = np.full(len(times), levels[0], dtype=float)
    for bound, low, high in zip(bounds, levels, levels[1:]):
        u = np.clip((times - bound) / ramp + 0.5, 0, 1)
        out += (high - low) * u * u * (3 - 2 * u)
    return out


def _wave(rng: np.random.Generator, low: float, high: float, amplitude: float):
    """A slow sinusoid (0.05-0.2 Hz) around a base drawn in [low, high]."""
    base, freq, phase = rng.uniform(low, high), rng.uniform(0.05, 0.2), rng.uniform(0, 2 * np.pi)
    amp = rng.uniform(0, amplitude)
    return lambda t: base + amp * np.sin(2 * np.pi * freq * t + phase)


class HandheldCamera:
    """The camera over a clip `duration` seconds long; `tremor_px` scales the tremor (set by
    `calibrate` so that the longest blur is a given length)."""

    def __init__(self, rng: np.random.Generator, duration: float, width: int, height: int):
        self.width, self.height = width, height
        self.grid = np.arange(-0.5, duration + 0.5, DT)
        bounds, levels = stretches(rng, duration)
        self._strength = lambda t: _ramped(t, bounds, levels, 0.15 * min(1.0, duration / 4))
        velocity = np.gradient(tremor(rng, self.grid), DT, axis=0)
        self._tremor = np.cumsum(velocity * self._strength(self.grid)[:, None], axis=0) * DT
        self._pan = [_wave(rng, 0, 0, a * side) for a, side in ((0.12, width), (0.08, height))]
        self._roll = _wave(rng, -0.025, 0.025, 0.017)
        self._log_zoom = _wave(rng, 0.0, 0.08, 0.04)
        self.tremor_px = 1.0
        self._rad_per_px = 0.35 / np.hypot(width, height)   # roll tremor, as video_shake's

    def strength(self, times: np.ndarray) -> np.ndarray:
        """Tremor strength at `times`: ~0 in calm stretches, 0.4-1 in shaky ones."""
        return self._strength(np.asarray(times, dtype=float))

    def smooth_offset(self, times: np.ndarray) -> np.ndarray:
        """The pan alone (N x 2): where the hand means to point."""
        return np.stack([pan(times) for pan in self._pan], axis=-1)

    def view(self, times: np.ndarray) -> View:
        times = np.asarray(times, dtype=float)
        shake = np.stack([np.interp(times, self.grid, self._tremor[:, axis])
                          for axis in range(3)], axis=-1) * self.tremor_px
        return View(self.smooth_offset(times) + shake[:, :2],
                    self._roll(times) + shake[:, 2] * self._rad_per_px,
                    np.exp(self._log_zoom(times)))


def exposure_times(t_mid: float, open_s: float, steps: int) -> np.ndarray:
    """`steps` instants evenly over an exposure `open_s` seconds long centred on t_mid."""
    return t_mid + open_s * (np.linspace(0.0, 1.0, steps) - 0.5)


def relative_poses(view: View, centre: tuple[float, float]) -> Poses:
    """Poses (batch 1) mapping each sub-frame's pixels to the sharp (mean-pose) frame's, the
    rotation and zoom about the view's `centre` (its optical axis)."""
    offset, angle, zoom = view.mean()
    poses = Poses.identity(1, len(view.angle), 1, 1)
    poses.centre[0] = centre
    poses.zoom[0] = zoom / view.zoom
    poses.angle[0] = view.angle - angle
    poses.shift[0] = to_view(view, view.offset - offset)
    return poses


def to_view(view: View, points: np.ndarray) -> np.ndarray:
    """Scene displacements (N x 2, from the mean pose's point) in the mean view's pixels."""
    _, angle, zoom = view.mean()
    return zoom * points @ rotation(-angle).T


def rotation(angle: float) -> np.ndarray:
    """The 2 x 2 matrix turning by `angle` radians (y down: clockwise on screen)."""
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def blur_extent(poses: Poses, width: int, height: int) -> float:
    """Longest blur of the exposure, pixels end to end along x or y, over the frame's corners
    and centre (rotation and zoom blur the corners most)."""
    cx, cy = poses.centre[0]
    points = torch.tensor([[[cx + dx * width / 2, cy + dy * height / 2]
                            for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1), (0, 0))]],
                          dtype=torch.float32)
    seen = np.stack([pose_coords(poses, t, points)[0, 0].numpy()
                     for t in range(poses.shift.shape[1])])
    return float(np.ptp(seen, axis=0).max())


def calibrate(camera: HandheldCamera, frame_times: np.ndarray, open_s: float,
              target_px: float, steps: int = 16) -> np.ndarray:
    """Scale the tremor so that the longest frame's blur is `target_px`; returns every
    frame's blur length. (The pan blurs a little too, so the scale is found by iteration.)"""
    centre = ((camera.width - 1) / 2, (camera.height - 1) / 2)

    def extents() -> np.ndarray:
        return np.array([blur_extent(relative_poses(camera.view(exposure_times(t, open_s, steps)),
                                                    centre), camera.width, camera.height)
                         for t in frame_times])

    for _ in range(6):
        longest = extents().max()
        if longest < 1e-6 or abs(longest - target_px) < 0.01 * target_px:
            break
        camera.tremor_px = max(camera.tremor_px * target_px / longest, 0.0)
    return extents()
