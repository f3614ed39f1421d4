"""The single-frame restoration stage: a batch of frames through a Restorer (any object with
restore_batch() and description), the result and the restorer's name put on each frame.
`restorer` may be swapped between two pushes (the viewer's model switch): a frame is always
restored, and named, by one restorer."""
from __future__ import annotations

import numpy as np

from engine.frames import Frame


class PassThrough:
    """A stand-in restorer that gives the input back: the viewer shows both sides when no
    model could be loaded, and `describe` says why."""

    def __init__(self, description: str):
        self.description = description

    def restore_batch(self, frames: np.ndarray) -> np.ndarray:
        return frames


class RestoreStage:
    def __init__(self, restorer):
        self.restorer = restorer

    def push(self, frames: list[Frame]) -> list[Frame]:
        restorer = self.restorer   # one read: a swap mid-batch must not mix names and pixels
        pixels = frames[0].rgb[None] if len(frames) == 1 else np.stack([f.rgb for f in frames])
        for frame, restored in zip(frames, restorer.restore_batch(pixels)):
            frame.restored, frame.made_by = restored, restorer.description
        return frames

    def flush(self) -> list[Frame]:
        return []
