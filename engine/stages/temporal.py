"""The temporal reference stage: each frame restored again from the sharper frames around it
(engine.temporal: sharpness, DIS alignment, fusion where alignment holds), on top of what the
single-frame restoration made (frame.restored; the input where there is none). Given that
restoration as `base` (stages that give each frame back at once: a Restorer), the stage runs
it itself, and only on the frames that need it: a sharp frame kept as shot costs no model
call, so the stage saves about as much model time as it spends (a third of the frames of a
shaky clip are such anchors). Files look
`window` frames ahead and behind, so a frame leaves `window` frames later and flush() gives the
last ones; live sources (past_only) get each frame back on the push that brings it. What the
fusion did travels on the frame as notes["temporal"] (engine.temporal.FusionStats)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.frames import Frame
from engine.stages import Stage, run_stages
from engine.temporal import TemporalFuser, TemporalResult
from engine.temporal.refine import FusionRefinement
from engine.temporal.window import DEFAULT_WINDOW


def runs_refiner(deconvolve: bool, refine: bool | None) -> bool:
    """Whether the stage runs the fusion refiner: as asked, else with the deconvolution."""
    return deconvolve if refine is None else refine


class TemporalStage:
    def __init__(self, window: int = DEFAULT_WINDOW, past_only: bool = False,
                 base: Stage | Sequence[Stage] | None = None, deconvolve: bool = False,
                 refine: bool | None = None):
        """`refine` (default: with `deconvolve`) runs the learned fusion refiner over the
        fused frames, where its weights are shipped."""
        self.base = None if base is None else [base] if hasattr(base, "push") else list(base)
        refine = runs_refiner(deconvolve, refine)
        self.fuser = TemporalFuser(window=window, past_only=past_only,
                                   make_bases=None if self.base is None else self._bases,
                                   deconvolve=deconvolve,
                                   refiner=FusionRefinement.load_if_trained() if refine else None)
        self._held: dict[int, Frame] = {}   # by index: pushed, not yet given back

    def push(self, frames: list[Frame]) -> list[Frame]:
        out = []
        for frame in frames:
            self._held[frame.index] = frame
            out += [self._finish(result)
                    for result in self.fuser.push(frame.index, frame.rgb, frame.restored)]
        return out

    def flush(self) -> list[Frame]:
        return [self._finish(result) for result in self.fuser.flush()]

    def _bases(self, indices: list[int]) -> list[np.ndarray]:
        """The base stages' restoration of the held frames `indices`, in batches of one size."""
        frames = [self._held[i] for i in indices]
        for shape in dict.fromkeys(f.rgb.shape for f in frames):
            batch = [f for f in frames if f.rgb.shape == shape]
            given = run_stages(self.base, batch)
            if [f.index for f in given] != [f.index for f in batch]:
                raise TypeError("a temporal stage's base must give each frame back at once")
        return [f.restored for f in frames]

    def _finish(self, result: TemporalResult) -> Frame:
        frame = self._held.pop(result.index)
        frame.restored = result.frame
        frame.made_by = f"{frame.made_by} + temporal" if frame.made_by else "temporal"
        frame.notes["temporal"] = result.stats
        return frame


def describe_temporal(frame: Frame) -> str | None:
    """One line for an overlay: the reference a frame took detail from, and how much."""
    stats = frame.notes.get("temporal")
    if stats is None:
        return None
    if stats.reference is None:
        return f"temporal: no reference ({stats.reason or 'none sharper'})"
    return f"temporal: detail from frame {stats.reference + 1} ({stats.share:.0%} of pixels)"
