"""Random camera and object motion over one exposure, as poses at N sub-frame instants.

A pose maps a pixel of the sharp (reference) frame to where the scene point is seen at that
instant: translate by (dx, dy), rotate by `angle` and scale by `zoom` about `centre`. Poses
are drawn in NumPy from a seeded Generator (cheap, reproducible) and rendered in torch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Poses:
    shift: np.ndarray   # B x N x 2 pixels (x, y)
    angle: np.ndarray   # B x N radians
    zoom: np.ndarray    # B x N scale factors
    centre: np.ndarray  # B x 2 pixels, the rotation/zoom centre

    @classmethod
    def identity(cls, batch: int, steps: int, width: int, height: int) -> Poses:
        return cls(np.zeros((batch, steps, 2)), np.zeros((batch, steps)),
                   np.ones((batch, steps)), np.tile([width / 2, height / 2], (batch, 1)))


def random_walk(rng: np.random.Generator, steps: int, dims: int = 2,
                jerk_prob: float = 0.04) -> np.ndarray:
    """A path with inertia (velocity follows smoothed random accelerations) and occasional
    jerks (large sudden accelerations), centred on its mean and scaled to unit extent."""
    inertia = rng.uniform(0.7, 0.97)
    velocity = rng.normal(size=dims)
    path = np.zeros((steps, dims))
    position = np.zeros(dims)
    for t in range(steps):
        accel = rng.normal(size=dims)
        if rng.random() < jerk_prob:
            accel += rng.normal(scale=8.0, size=dims)
        velocity = inertia * velocity + (1 - inertia) * accel * 3.0
        position = position + velocity
        path[t] = position
    path -= path.mean(axis=0)
    extent = np.ptp(path, axis=0).max() if dims > 1 else np.ptp(path)
    return path / max(extent, 1e-6)


def camera_shake(rng: np.random.Generator, batch: int, steps: int, width: int, height: int,
                 extents: np.ndarray) -> Poses:
    """Hand-shake poses: translation of about `extents[b]` pixels end to end, plus in-plane
    rotation about a random centre (possibly off-frame) and a slight zoom, each moving the
    farthest pixel by a fraction of that extent; this makes the blur vary across the frame."""
    poses = Poses.identity(batch, steps, width, height)
    half_diag = 0.5 * np.hypot(width, height)
    for b in range(batch):
        extent = extents[b]
        poses.shift[b] = random_walk(rng, steps) * extent
        poses.centre[b] = [rng.uniform(-0.5, 1.5) * width, rng.uniform(-0.5, 1.5) * height]
        radius = np.hypot(*np.maximum(np.abs(poses.centre[b] - [0, 0]),
                                      np.abs(poses.centre[b] - [width, height])))
        if rng.random() < 0.7:
            poses.angle[b] = random_walk(rng, steps, 1)[:, 0] * extent * rng.uniform(0, 0.8) \
                / max(radius, 1.0)
        if rng.random() < 0.4:
            poses.zoom[b] = np.exp(random_walk(rng, steps, 1)[:, 0] * extent
                                   * rng.uniform(0, 0.3) / half_diag)
    return poses


def blur_extents(rng: np.random.Generator, batch: int, max_extent: float) -> np.ndarray:
    """Blur lengths in pixels, skewed towards small and moderate blur."""
    return max_extent * rng.uniform(0.02, 1.0, size=batch) ** 1.5
