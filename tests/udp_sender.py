"""Child process for the live tests: streams synthetic frames as MPEG-TS over UDP in real time.

    python -m tests.udp_sender URL SECONDS [PAUSE SECONDS]

sends dark frames for SECONDS; with PAUSE and a second SECONDS it goes quiet for PAUSE (the
receiver sees the stream vanish) and then sends bright frames on the same stream."""
from __future__ import annotations

import sys
import time

import av
import numpy as np

RATE, WIDTH, HEIGHT = 25, 64, 48


def main(url: str, phases: list[float]) -> None:
    with av.open(url, "w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=RATE, options={
            "g": "10", "tune": "zerolatency", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        index, clock = 0, time.monotonic()
        for phase, seconds in enumerate(phases):
            if phase % 2:          # a pause: nothing on the wire
                time.sleep(seconds)
                clock = time.monotonic() - index / RATE
                continue
            level = 40 if phase == 0 else 200
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                frame = av.VideoFrame.from_ndarray(np.full((HEIGHT, WIDTH, 3), level, np.uint8))
                frame.pts = index
                out.mux(stream.encode(frame))
                index += 1
                time.sleep(max(0.0, clock + index / RATE - time.monotonic()))
        out.mux(stream.encode(None))


if __name__ == "__main__":
    main(sys.argv[1], [float(x) for x in sys.argv[2:]])
