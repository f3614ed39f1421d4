"""The stages a frame passes between decoding and the sink. The pipeline hands each stage the
frames in order, a few at a time, and passes on what it gives back, in order; a stage that
needs a window of frames (a temporal one) holds some back and gives them later, and flush()
gives the rest at the end of the stream. What a stage makes or learns travels on the Frame
(`restored`, `made_by`, `notes`), never beside it.

    source --frames--> [RestoreStage] --> [TemporalStage ...] --frames--> sink(frame)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.frames import Frame


class Stage(Protocol):
    def push(self, frames: list[Frame]) -> list[Frame]:
        """Take frames (in source order, of one size) and give back those finished, in order:
        the same ones, fewer (held for a window) or earlier ones held before."""
        ...

    def flush(self) -> list[Frame]:
        """End of stream: give back every frame still held, in order."""
        ...


def run_stages(stages: Sequence[Stage], frames: list[Frame]) -> list[Frame]:
    """Frames through every stage in turn."""
    for stage in stages:
        if not frames:
            break
        frames = stage.push(frames)
    return frames


def flush_stages(stages: Sequence[Stage]) -> list[Frame]:
    """End of stream: each stage's held frames, through the stages after it."""
    out: list[Frame] = []
    for stage in stages:
        out = (stage.push(out) if out else []) + stage.flush()
    return out


__all__ = ["Stage", "flush_stages", "run_stages"]
