"""The contract every source keeps (`Source`): an iterable of Frames with the attributes below,
so the pipeline, the sinks, the export plan and the viewer read them without asking which kind
they hold."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from engine.errors import InputError
from engine.formats.colour import ColourTags
from engine.formats.hdr import HdrMetadata
from engine.frames import Frame


class Source:
    """The contract. A subclass sets `name`, `live`, `time_base`, `rate` and implements
    __iter__ (and frames(start) where it can seek); the rest has the defaults of a source that
    knows nothing more (a camera)."""
    name: str = "source"                # for messages: the path, 'camera 0', the URL
    live: bool = False                  # frames arrive in real time; keep only the newest
    time_base: Fraction = Fraction(1, 1000)   # of the frames' pts
    rate: Fraction | None = None        # nominal frames per second, where known
    frame_count: int | None = None      # total frames, where known (files)
    corrupt: int = 0                    # packets or frames that failed to decode, so far
    colour: ColourTags | None = None    # how the source was coded (None: untagged, a camera)
    path: Path | None = None            # the file read (its sound is copied); None when live
    notes: tuple[str, ...] | list[str] = ()   # what the user should know (interlaced, ...)
    seekable: bool = False              # frames(start) starts at any frame
    pix_fmt: str | None = None          # the coded pixel format, where known
    size: tuple[int, int] | None = None   # width, height, where known before decoding
    hdr: HdrMetadata = HdrMetadata()    # mastering metadata, where the file has it
    deep: bool = False                  # also give 16-bit RGB (Frame.deep), where it can
    keeps_samples: bool = False         # also give the decoded 4:2:0 samples (Frame.coded),
                                        # where it can: an export turns it on

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def frames(self, start: int = 0) -> Iterator[Frame]:
        """The frames from index `start` on; a source that cannot seek starts only at 0."""
        if start:
            raise InputError(f"{self.name}: cannot start at frame {start} (not seekable)")
        return iter(self)

    def close(self) -> None:
        pass
