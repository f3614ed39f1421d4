"""Score a live recording of a clip (`deblur export --url ... --codec ffv1`) against the
clip's ground truth: live mode drops frames to bound latency, so each recorded frame is
matched to its source frame by its time (the recording starts at 0 at the first frame
received; the offset is the one whose source frames best match the first recorded ones).

    .venv/bin/python benchmarks/score_live.py RECORDING SOURCE TRUTH
"""
from __future__ import annotations

import sys

import av
import numpy as np

from engine.measure.clip_evaluation import STRETCH, worst_stretch
from engine.measure.evaluation import psnr


def frames(path: str) -> list[tuple[float, np.ndarray]]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]


def score(recording: str, source: str, truth: str) -> str:
    out = frames(recording)
    with av.open(source) as container:
        rate = float(container.streams.video[0].average_rate)
    inputs = [f for _, f in frames(source)]
    sharp = [f for _, f in frames(truth)]
    steps = np.round((np.array([t for t, _ in out]) - out[0][0]) * rate).astype(int)
    first = max(range(len(inputs) - steps[-1]), key=lambda k: np.mean(
        [psnr(out[i][1], inputs[k + steps[i]]) for i in range(min(3, len(out)))]))
    index = first + steps
    gain = np.array([psnr(f, sharp[j]) - psnr(inputs[j], sharp[j])
                     for (_, f), j in zip(out, index)])
    _, stretch = worst_stretch(gain)
    return (f"{len(out)} of {len(inputs)} frames recorded (source frames {index[0]}-{index[-1]}): "
            f"{gain.mean():+.2f} dB over the input; worst {min(STRETCH, len(gain))}-frame "
            f"stretch {stretch:+.2f} dB")


if __name__ == "__main__":
    print(score(*sys.argv[1:4]))
