"""The viewer's session as values: what the GUI knows (the source that is open, the state of
playback, sent with the player's signals) and what the player asks of itself (a restart)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from engine.sources import Source

Opener = Callable[[], Source]   # called in the worker: opening a camera or a URL may block


@dataclass(frozen=True)
class SourceInfo:
    name: str
    live: bool
    seekable: bool
    frame_count: int | None
    rate: Fraction | None
    size: tuple[int, int] | None = None   # width, height once the first frame is known

    @classmethod
    def of(cls, source: Source) -> SourceInfo:
        frame_count = source.frame_count
        return cls(source.name, source.live,
                   source.seekable and not source.live and bool(frame_count), frame_count,
                   source.rate)


@dataclass(frozen=True)
class PlayState:
    playing: bool
    loop: bool
    at_end: bool
    recording: str | None


@dataclass(frozen=True)
class Restart:
    """Leave the current stretch and start another (seek, step back, open, end reached)."""
    start: int = 0
    show_one: bool = True
    opener: Opener | None = None
