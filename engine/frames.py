"""The unit that travels through the pipeline: one RGB picture with its timing, and what the
stages made of it and learnt about it (the restored picture, which model made it, notes such as
the reference a temporal stage took detail from)."""
from __future__ import annotations

from dataclasses import dataclass, field
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
    coded: np.ndarray | None = None  # the 8-bit 4:2:0 samples an H.264/HEVC source decoded it
                                     # from (H*3/2 x W, unrotated; not beside `deep`), for an
                                     # export (Source.keeps_samples): written back where a
                                     # pixel came through unchanged (formats/chroma.py)
    picture_type: int = 0    # how the file coded it (PyAV's PictureType: 1 I, 2 P, 3 B; 0 not
                             # known), beside `coded`: an export re-encodes it as the same type
    restored: np.ndarray | None = None   # uint8 H x W x 3, set by the stages (None: not yet)
    made_by: str = ""                    # who restored it: the Restorer's description
    notes: dict = field(default_factory=dict)   # what a stage learnt, by key (stage-defined)

    @property
    def output(self) -> np.ndarray:
        """The restored picture, or the input where no stage restored it."""
        return self.rgb if self.restored is None else self.restored

    @property
    def as_decoded(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(the RGB as decoded, the samples it came from), where an export can write those
        back for the pixels that come through unchanged (VideoWriter.write); else None."""
        return (self.rgb, self.coded) if self.coded is not None else None

    @property
    def time(self) -> float:
        """Presentation time in seconds."""
        return float(self.pts * self.time_base)
