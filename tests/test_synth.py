"""`deblur synth`: a shaken clip and its aligned ground truth from a real encoded video."""
from fractions import Fraction

import av
import numpy as np
import pytest

from app.cli import main


def _write_clip(path, frames=12, width=96, height=64):
    """A moving gradient-and-squares clip, encoded with libx264."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 25)
        y, x = np.mgrid[0:height, 0:width]
        for i in range(frames):
            image = np.stack([128 + 100 * np.sin((x + 2 * i) / 5), 128 + 100 * np.cos(y / 4),
                              128 + 90 * np.sin((x + y) / 7)], axis=-1).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _read(path):
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(video=0)]


def test_synth_writes_a_blurred_clip_and_its_aligned_truth(tmp_path):
    source = tmp_path / "sharp.mp4"
    _write_clip(source)
    out = tmp_path / "shaken.mp4"
    assert main(["synth", str(source), "-o", str(out), "--max-blur", "200"]) == 0
    original, blurred, truth = _read(source), _read(out), _read(tmp_path / "shaken.sharp.mp4")
    assert len(original) == len(blurred) == len(truth) == 12
    truth_error = np.mean([np.abs(t - o).mean() for t, o in zip(truth, original)])
    blur_change = np.mean([np.abs(b - o).mean() for b, o in zip(blurred, original)])
    # The truth is the source re-encoded (x264 generation loss only); the blur moves pixels.
    assert truth_error < 4 and blur_change > 2 * truth_error
    assert not list(tmp_path.glob(".*part*"))
    assert main(["synth", str(source), "-o", str(out)]) == 2        # exists, no -y


@pytest.mark.parametrize("content", [b"", b"not a video at all"])
def test_synth_refuses_a_bad_file_in_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    assert main(["synth", str(bad), "-o", str(tmp_path / "out.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: ") and "bad.mp4" in err[0]
    assert not list(tmp_path.glob("*out*")) and not list(tmp_path.glob(".*"))
