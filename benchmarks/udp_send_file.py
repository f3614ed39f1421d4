"""Send a video file's packets as MPEG-TS over UDP at the file's own pace, without
re-encoding (the receiver decodes exactly the frames `deblur eval` decodes from the file):
a real live stream over loopback for measuring the live path.

    .venv/bin/python benchmarks/udp_send_file.py FILE udp://127.0.0.1:PORT [DELAY_SECONDS]
"""
from __future__ import annotations

import sys
import time

import av


def send(path: str, url: str, delay: float = 0.0) -> None:
    time.sleep(delay)                      # time for the receiver to start listening
    with av.open(path) as source, av.open(url, "w", format="mpegts") as out:
        video = source.streams.video[0]
        stream = out.add_stream_from_template(video)
        start, clock = None, time.monotonic()
        for packet in source.demux(video):
            if packet.dts is None:         # the demuxer's flush packet
                continue
            at = float(packet.dts * video.time_base)
            start = at if start is None else start
            time.sleep(max(0.0, clock + (at - start) - time.monotonic()))
            packet.stream = stream
            out.mux(packet)


if __name__ == "__main__":
    send(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
