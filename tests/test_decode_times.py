"""Very short x265 videos on a many-core machine: x265 running more frame threads than it was
given frames hands out packets whose dts was never set, which MP4 refused (CI failed this way
on a machine with more cores). The writer and its trial put such a dts in order."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from engine.sinks.video_writer import VideoWriter

# Eight frame threads whatever the machine has: what x265 picks by itself on a big one.
MANY_FRAME_THREADS = {"x265-params": "frame-threads=8:log-level=none"}


@pytest.mark.parametrize("frames", [1, 2, 5])
def test_a_short_x265_mp4_is_written_whole(tmp_path, frames):
    out = tmp_path / "short.mp4"
    with VideoWriter(out, time_base=Fraction(1, 25), rate=Fraction(25), codec="libx265",
                     extra_options=MANY_FRAME_THREADS) as writer:
        for index in range(frames):
            writer.write(np.full((64, 64, 3), 40 * index, np.uint8), index)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        times = [(p.pts * stream.time_base, p.dts * stream.time_base)
                 for p in container.demux(stream) if p.size]
        container.seek(0)
        decoded = [frame.pts for frame in container.decode(video=0)]
    assert len(decoded) == frames
    dts = [d for _, d in times]   # in order, and at most a second (25 frames) early
    assert dts == sorted(dts) and all(0 <= pts - d < 1 for pts, d in times), times
