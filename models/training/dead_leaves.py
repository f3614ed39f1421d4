"""Procedural 'dead leaves' images: overlapping discs (and some rectangles) with power-law
sizes, a classic model of natural image statistics with sharp occlusion edges at every scale
and orientation. Endless, licence-free training content."""
from __future__ import annotations

import cv2
import numpy as np


def dead_leaves(rng: np.random.Generator, size: int, shapes: int | None = None) -> np.ndarray:
    """A size x size x 3 uint8 RGB image, later shapes occluding earlier ones."""
    image = np.empty((size, size, 3), np.uint8)
    image[:] = rng.integers(0, 256, 3)
    r_min, r_max, alpha = 1.5, size / 3, 3.0
    count = shapes or int(size * size / 60)
    u = rng.random(count)
    # Inverse-CDF sampling of p(r) ~ r^-alpha on [r_min, r_max].
    a, b = r_min ** (1 - alpha), r_max ** (1 - alpha)
    radii = (a + u * (b - a)) ** (1 / (1 - alpha))
    order = np.argsort(-radii)          # mostly large behind small: all scales stay visible
    for r in radii[order]:
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy = (int(v) for v in rng.integers(-int(r), size + int(r), 2))
        if rng.random() < 0.25:
            w, h = (int(v) for v in rng.uniform(0.5, 2, 2) * r)
            cv2.rectangle(image, (cx - w, cy - h), (cx + w, cy + h), colour, -1, cv2.LINE_AA)
        else:
            cv2.circle(image, (cx, cy), max(1, int(round(r))), colour, -1, cv2.LINE_AA)
    return image
