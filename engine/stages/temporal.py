"""The temporal reference stage: each frame restored again from the sharper frames around it
(engine.temporal: sharpness, DIS alignment, fusion where alignment holds), on top of what the
single-frame stage before it made (frame.restored; the input where there is none). Files look
`window` frames ahead and behind, so a frame leaves `window` frames later and flush() gives the
last ones; live sources (past_only) get each frame back on the push that brings it. What the
fusion did travels on the frame as notes["temporal"] (engine.temporal.FusionStats)."""
from __future__ import annotations

from engine.frames import Frame
from engine.temporal import TemporalFuser, TemporalResult

DEFAULT_WINDOW = 6


class TemporalStage:
    def __init__(self, window: int = DEFAULT_WINDOW, past_only: bool = False):
        self.fuser = TemporalFuser(window=window, past_only=past_only)
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
