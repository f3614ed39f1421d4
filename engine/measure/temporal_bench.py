"""`deblur bench --temporal`: what the temporal reference stage costs, in one run on the bundled
clip (640x360): the stage alone (both sides and past frames only) in frames per second, and
the throughput of a whole export with the single-frame model against the same export with
the stage after it (the ratio is the figure: both share the decoder, model and encoder; and
with the fusion refiner, `--refine`), and
the stage with the multi-frame deconvolution (`--deconvolve`) against the stage without it
on DECONVOLVE_FRAMES frames of a hand-held clip made in the run (`deblur data clips`' camera
over a procedural scene: the bundled clip's shake blurs without moving the frames, so it gives
the deconvolution nothing to follow), with the share of those frames it restored."""
from __future__ import annotations

import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.measure.bench import SAMPLE_CLIP, bench_frames, machine_description
from engine.measure.pipeline_bench import write_clip
from engine.frames import Frame
from engine.stages.restorer import Restorer
from engine.sources.file import FileSource, read_all
from engine.stages.temporal import TemporalStage
from engine.jobs.video_export import ExportSettings, export_video
from models.training.dead_leaves import dead_leaves
from models.training.photo_clip import ClipConfig, PhotoClip


DECONVOLVE_FRAMES = 24


def _run_stage(frames: list[Frame], window: int, past_only: bool = False,
               deconvolve: bool = False) -> tuple[float, list[Frame]]:
    """Frames per second of the stage alone over `frames` (the input as its base), and the
    frames it gave back."""
    stage = TemporalStage(window, past_only=past_only, deconvolve=deconvolve)
    started = time.perf_counter()
    out = []
    for frame in frames:
        out += stage.push([Frame(frame.rgb, frame.pts, frame.time_base, frame.index, 0.0)])
    out += stage.flush()
    elapsed = time.perf_counter() - started
    assert len(out) == len(frames)   # every frame out once: a bench of a broken stage is no bench
    return len(out) / elapsed, out


def stage_fps(frames: list[Frame], window: int, past_only: bool) -> float:
    return _run_stage(frames, window, past_only)[0]


def handheld_frames(count: int = DECONVOLVE_FRAMES) -> list[Frame]:
    """Blurred frames of a 640x360 hand-held clip over dead-leaves shapes (seeded)."""
    clip = PhotoClip(dead_leaves(np.random.default_rng(0), 1024),
                     ClipConfig(640, 360, count, 30.0, max_blur=40.0, exposure=0.5, seed=0), None)
    return [Frame(clip.render(i)[0], i, Fraction(1, 30), i, 0.0) for i in range(count)]


def deconvolve_fps(frames: list[Frame], window: int, deconvolve: bool
                   ) -> tuple[float, float, float]:
    """Frames per second of the stage over `frames`, and the shares of them deconvolved and
    refined (the fusion refiner runs with the deconvolution)."""
    fps, out = _run_stage(frames, window, deconvolve=deconvolve)
    notes = [f.notes["temporal"] for f in out]
    return (fps, sum(n.deconvolved > 0 for n in notes) / len(out),
            sum(n.refined for n in notes) / len(out))


def export_fps(restorer: Restorer, clip: Path, window: int | None,
               refine: bool | None = None) -> float:
    source = FileSource(clip)
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = export_video(source, Path(folder) / "out.mp4", restorer,
                                  ExportSettings(temporal=window, refine=refine))
            return result.stats.frames_out / (time.perf_counter() - started)
    finally:
        source.close()


def sized_sample(path: Path, width: int, height: int, frames: int) -> Path:
    """The first `frames` frames of the bundled clip at width x height, as an H.264 clip (its
    blur and its sharp stretches scale with it; `deblur bench --temporal --size`)."""
    pictures = bench_frames(width, height, count=frames)
    return write_clip(path, pictures, len(pictures), rate=30)


def temporal_report(restorer: Restorer, window: int, clip: Path = SAMPLE_CLIP) -> dict:
    frames = read_all(clip)
    height, width = frames[0].rgb.shape[:2]
    stage_fps(frames[:2 * window + 2], window, False)   # warm-up (OpenCV's first flows)
    alone, past = stage_fps(frames, window, False), stage_fps(frames, window, True)
    handheld = handheld_frames()
    plain_fps, _, _ = deconvolve_fps(handheld, window, False)
    deconvolving_fps, deconvolved, refined = deconvolve_fps(handheld, window, True)
    export_fps(restorer, clip, None)                    # warm-up (the model's first calls)
    single = export_fps(restorer, clip, None)
    temporal = export_fps(restorer, clip, window)
    with_refiner = export_fps(restorer, clip, window, refine=True)
    return {"what": "temporal reference stage", "machine": machine_description(),
            "clip": clip.name, "size": f"{width}x{height}", "frames": len(frames),
            "window": window, "stage_fps": round(alone, 1), "stage_fps_past_only": round(past, 1),
            "handheld_frames": len(handheld), "handheld_stage_fps": round(plain_fps, 1),
            "handheld_stage_deconvolve_fps": round(deconvolving_fps, 2),
            "handheld_share_deconvolved": round(deconvolved, 2),
            "handheld_share_refined": round(refined, 2),
            "restorer": restorer.description, "export_fps": round(single, 2),
            "export_temporal_fps": round(temporal, 2),
            "export_ratio": round(temporal / single, 3),
            "export_temporal_refine_fps": round(with_refiner, 2),
            "export_refine_ratio": round(with_refiner / single, 3)}
