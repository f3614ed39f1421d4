"""An export re-encodes each frame of an H.264 file as the type its source coded it (I, P, B):
that loses the least of an already-coded frame (BENCHMARKS.md, "Frame types"), whatever the
restoration did to the frames around it."""
from fractions import Fraction

import av
import numpy as np

from engine.jobs.video_export import ExportSettings, export_video
from engine.sinks import video_writer
from engine.sources.file import FileSource
from engine.stages.restore import RestoreStage
from tests.videos import moving

# irregular on purpose: x264 left to itself does not choose it
PATTERN = "IPBBPBPPBBBPIBPPBBPP"


def _typed_source(path, width=96, height=64):
    """An H.264 file whose frames were coded as PATTERN says."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "23", "bframes": "3"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 25)
        for i, kind in enumerate(PATTERN):
            frame = av.VideoFrame.from_ndarray(moving(i, width, height), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.pict_type = i, "?IPB".index(kind)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _types(path) -> str:
    with av.open(str(path)) as container:
        return "".join("?IPB"[int(f.pict_type)] for f in container.decode(video=0))


class _EveryThirdBrighter:
    """A restorer that changes some frames and leaves the others as they came."""
    description = "every third frame brighter"

    def __init__(self):
        self.seen = 0

    def restore_batch(self, frames: np.ndarray) -> np.ndarray:
        out = frames.copy()
        for k in range(len(out)):
            if (self.seen + k) % 3 == 0:
                out[k] = np.minimum(out[k].astype(int) + 40, 255)
        self.seen += len(out)
        return out


def _export(source_path, out, codec="libx264"):
    source = FileSource(source_path)
    try:
        export_video(source, out, RestoreStage(_EveryThirdBrighter()), ExportSettings(codec))
    finally:
        source.close()


def test_an_h264_export_codes_each_frame_as_its_source_did(tmp_path, monkeypatch):
    source = _typed_source(tmp_path / "in.mp4")
    assert _types(source) == PATTERN
    _export(source, tmp_path / "out.mp4")
    assert _types(tmp_path / "out.mp4") == PATTERN
    # the check can fail: x264 choosing for itself codes them otherwise
    monkeypatch.setattr(video_writer, "FOLLOWS_PICTURE_TYPES", ())
    _export(source, tmp_path / "own.mp4")
    assert _types(tmp_path / "own.mp4") != PATTERN
