"""The temporal reference stage inside the product: in the pipeline (every frame out once, in
order, what it did noted on the frame), in `deblur export --temporal` (frames and VFR
timestamps kept, composes with --compare and --reference), live (past frames only: a frame
comes out on the push that brings it) and in the viewer (the N key)."""
from __future__ import annotations

from fractions import Fraction
import time

import cv2
import numpy as np
import pytest

from app.cli import main
from engine.frames import Frame
from engine.pipeline import Pipeline
from engine.sources import Source
from engine.stages.restore import PassThrough, RestoreStage
from engine.stages.temporal import DEFAULT_WINDOW, TemporalStage, describe_temporal
from tests.videos import frame_times, make_video


def texture(height=96, width=160, seed=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 4, width // 4, 3), dtype=np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def shaky_frames(count=12, blurred=(2, 3, 4, 7, 8, 9)) -> list[np.ndarray]:
    """A slow pan over a texture; frames in `blurred` get a horizontal motion blur."""
    scene = texture(120, 200)
    kernel = np.full((1, 9), 1 / 9, np.float32)
    frames = []
    for i in range(count):
        view = np.ascontiguousarray(scene[10:106, 2 + i * 2:162 + i * 2])
        frames.append(cv2.filter2D(view, -1, kernel) if i in blurred else view)
    return frames


class Frames(Source):
    name, time_base, rate = "frames", Fraction(1, 25), Fraction(25)

    def __init__(self, pictures, live=False):
        self.pictures, self.live = pictures, live

    def __iter__(self):
        for i, rgb in enumerate(self.pictures):
            yield Frame(rgb, i, self.time_base, i, time.monotonic())


def test_in_the_pipeline_every_frame_comes_out_once_in_order_with_its_notes():
    seen = []
    stages = [RestoreStage(PassThrough("input")), TemporalStage(window=3)]
    stats = Pipeline(Frames(shaky_frames()), stages, seen.append).run()
    assert [f.index for f in seen] == list(range(12)) and stats.frames_out == 12
    assert all(f.made_by == "input + temporal" for f in seen)
    assert all("temporal" in f.notes and describe_temporal(f) for f in seen)
    blurred = seen[3]
    assert blurred.notes["temporal"].reference is not None   # a sharper neighbour lent detail
    assert 0 < blurred.notes["temporal"].share <= 1


def test_live_sources_use_past_frames_only_and_never_wait():
    stage = TemporalStage(window=4, past_only=True)
    for i, rgb in enumerate(shaky_frames()):
        out = stage.push([Frame(rgb, i, Fraction(1, 25), i, 0.0)])
        assert [f.index for f in out] == [i]          # out on the push that brought it
        reference = out[0].notes["temporal"].reference
        assert reference is None or reference < i     # never from the future
    assert stage.flush() == []


def test_export_temporal_keeps_every_frame_and_vfr_timestamps(tmp_path, weights_dir, capsys):
    stamps = [0, 1, 2, 5, 6, 12, 13, 14, 30]
    source = make_video(tmp_path / "vfr.mp4", pts=stamps, width=96, height=64)
    out = tmp_path / "out.mp4"
    assert main(["export", str(source), "-o", str(out), "--temporal", "--window", "3"]) == 0
    assert frame_times(out) == pytest.approx([s / 25 for s in stamps], abs=1e-3)
    assert "temporal reference (window 3)" in capsys.readouterr().err
    side = tmp_path / "side.mp4"
    assert main(["export", str(source), "-o", str(side), "--temporal", "--compare",
                 "side-by-side", "--reference", str(source)]) == 0
    assert "PSNR against" in capsys.readouterr().out


def test_a_file_is_exported_through_the_temporal_stage_unless_told_not_to(
        tmp_path, weights_dir, capsys):
    """The default export of a shaky file borrows the sharp frames' detail (its blurred frames
    come out nearer the truth than the model alone makes them); --no-temporal is the model
    alone, frame by frame."""
    from engine.sources.file import read_all
    shaky, truth = shaky_frames(), shaky_frames(blurred=())
    source = make_video(tmp_path / "shaky.mkv", frames=len(shaky), width=160, height=96,
                        codec="ffv1", pix_fmt="yuv444p", content=lambda i: shaky[i])

    def error_on_blurred_frames(out):
        frames = [f.rgb.astype(float) for f in read_all(out)]
        assert len(frames) == len(shaky)
        return np.mean([np.mean((frames[i] - truth[i]) ** 2) for i in (2, 3, 4, 7, 8, 9)])
    default, alone = tmp_path / "default.mkv", tmp_path / "alone.mkv"
    assert main(["export", str(source), "-o", str(default), "--codec", "ffv1"]) == 0
    assert f"temporal reference (window {DEFAULT_WINDOW})" in capsys.readouterr().err
    assert main(["export", str(source), "-o", str(alone), "--codec", "ffv1",
                 "--no-temporal"]) == 0
    assert "temporal" not in capsys.readouterr().err
    assert error_on_blurred_frames(default) < 0.5 * error_on_blurred_frames(alone)


def test_a_bad_window_is_one_line_and_exit_2(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mp4")
    assert main(["export", str(source), "-o", str(tmp_path / "o.mp4"), "--temporal",
                 "--window", "0"]) == 2
    assert capsys.readouterr().err.strip() == "deblur: --window 0: give 1 to 30 frames"
    assert not (tmp_path / "o.mp4").exists()


class Halve:
    """A model that harms every frame (halves it): what must not reach the sharp frames."""
    description = "halving model"

    def restore_batch(self, frames):
        return frames // 2


def test_sharp_frames_of_a_shaky_clip_come_out_as_shot_blurred_throughout_as_the_model():
    frames = shaky_frames()
    out = []
    Pipeline(Frames(frames), [RestoreStage(Halve()), TemporalStage(window=3)],
             out.append).run()
    sharp = [f for f in out if f.index in (0, 1, 5, 6, 10)]   # sharp, blurred frames near
    assert all(np.array_equal(f.restored, frames[f.index]) for f in sharp)
    kernel = np.full((1, 9), 1 / 9, np.float32)
    blurred_throughout = [cv2.filter2D(f, -1, kernel) for f in shaky_frames(blurred=())]
    out = []
    Pipeline(Frames(blurred_throughout), [RestoreStage(Halve()), TemporalStage(window=3)],
             out.append).run()
    assert all(np.array_equal(f.restored, f.rgb // 2) for f in out)


class CountingHalve(Halve):
    def __init__(self):
        self.restored: list[int] = []   # how many frames each call got

    def restore_batch(self, frames):
        self.restored.append(len(frames))
        return super().restore_batch(frames)


def test_as_base_the_model_runs_only_on_frames_that_need_it_with_the_same_result():
    frames = shaky_frames()
    eager = []
    Pipeline(Frames(frames), [RestoreStage(Halve()), TemporalStage(window=3)],
             eager.append).run()
    model, lazy = CountingHalve(), []
    Pipeline(Frames(frames), [TemporalStage(window=3, base=RestoreStage(model))],
             lazy.append).run()
    assert [f.index for f in lazy] == list(range(len(frames)))
    for a, b in zip(eager, lazy):
        assert np.array_equal(a.restored, b.restored), a.index
        assert a.notes["temporal"].reason == b.notes["temporal"].reason
    kept = sum("kept as shot" in f.notes["temporal"].reason for f in lazy)
    assert kept >= 3 and sum(model.restored) == len(frames) - kept
    assert all(f.made_by == "temporal" for f in lazy if "kept as shot" in f.notes["temporal"].reason)
    assert all(f.made_by == "halving model + temporal" for f in lazy
               if "kept as shot" not in f.notes["temporal"].reason)
