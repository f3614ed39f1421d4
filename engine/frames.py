"""The unit that travels through the pipeline: one RGB picture with its timing."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass
class Frame:
    rgb: np.ndarray          # uint8 H x W x 3, upright (rotation metadata already applied)
    pts: int                 # presentation timestamp in `time_base` units
    time_base: Fraction
    index: int               # position in the source (frames dropped later keep their index)
    t_captured: float        # time.monotonic() when the frame entered the program
    deep: np.ndarray | None = None   # uint16 RGB of a high-bit-depth source, where kept

    @property
    def time(self) -> float:
        """Presentation time in seconds."""
        return float(self.pts * self.time_base)
