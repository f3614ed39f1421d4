"""Decode times an encoder hands out that a muxer cannot take. x265 run with more frame
threads than it was given frames (a one- or two-frame video on a many-core machine) returns
packets whose dts was never set: any number, often -1e11..-1e18, which MP4 refuses ("not yet
implemented": a duration it cannot store), sometimes tens of seconds early, which it stores as
a file that starts late. Such a dts is replaced by one in order; a real reordering delay (the
encoder's B-frames, a few frames) is left as the encoder set it."""
from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import av

# The most frames an encoder's dts may run ahead of a packet's pts: x264/x265 allow 16
# B-frames, a B-pyramid and frame threads add a few.
MAX_REORDER_FRAMES = 32


class DecodeTimes:
    """Keeps the dts of one encoded stream's packets sane, packet after packet. Times are in
    the encoder's time base, which the frames fed to it share."""

    def __init__(self, frame_ticks: int | None = None) -> None:
        self.frame_ticks = frame_ticks   # a frame's duration when the rate is known
        self.last_fed: int | None = None
        self.last_dts: int | None = None

    def fed(self, pts: int) -> None:
        """Note a frame given to the encoder: the shortest gap between frames bounds how far
        ahead a real dts can be (a video of one frame and no rate: not at all)."""
        if self.last_fed is not None and pts > self.last_fed:
            gap = pts - self.last_fed
            self.frame_ticks = gap if self.frame_ticks is None else min(self.frame_ticks, gap)
        self.last_fed = pts

    def fix(self, packets: Iterable[av.Packet]) -> list[av.Packet]:
        packets = list(packets)
        for packet in packets:
            if packet.pts is None:
                continue
            if not self._plausible(packet.pts, packet.dts):
                in_order = self.last_dts is None or packet.pts > self.last_dts
                packet.dts = packet.pts if in_order else self.last_dts + 1
            self.last_dts = packet.dts
        return packets

    def _plausible(self, pts: int, dts: int | None) -> bool:
        if dts is None or dts > pts or (self.last_dts is not None and dts <= self.last_dts):
            return False
        return pts - dts <= MAX_REORDER_FRAMES * (self.frame_ticks or 0)


def frame_ticks(rate: Fraction | None, time_base: Fraction) -> int | None:
    """One frame's duration in ticks of `time_base` at `rate` (None: the rate is unknown)."""
    return max(1, round(1 / (rate * time_base))) if rate else None
