"""`deblur bench --temporal`: what the temporal reference stage costs, in one run on the bundled
clip (640x360): the stage alone (both sides and past frames only) in frames per second, and
the throughput of a whole export with the single-frame model against the same export with
the stage after it (the ratio is the figure: both share the decoder, model and encoder), and
the stage with the multi-frame deconvolution (`--deconvolve`) over the clip's first
DECONVOLVE_FRAMES frames (about a second a frame: the whole clip would take minutes)."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from engine.measure.bench import SAMPLE_CLIP, machine_description
from engine.frames import Frame
from engine.stages.restorer import Restorer
from engine.sources.file import FileSource
from engine.stages.temporal import TemporalStage
from engine.jobs.video_export import ExportSettings, export_video


def _decoded(clip: Path) -> list[Frame]:
    source = FileSource(clip)
    try:
        return list(source)
    finally:
        source.close()


DECONVOLVE_FRAMES = 24


def stage_fps(frames: list[Frame], window: int, past_only: bool,
              deconvolve: bool = False) -> float:
    """Frames per second of the stage alone over `frames` (the input as its base)."""
    stage = TemporalStage(window, past_only=past_only, deconvolve=deconvolve)
    started = time.perf_counter()
    done = 0
    for frame in frames:
        done += len(stage.push([Frame(frame.rgb, frame.pts, frame.time_base, frame.index, 0.0)]))
    done += len(stage.flush())
    assert done == len(frames)   # every frame out once: a bench of a broken stage is no bench
    return done / (time.perf_counter() - started)


def export_fps(restorer: Restorer, clip: Path, window: int | None) -> float:
    source = FileSource(clip)
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = export_video(source, Path(folder) / "out.mp4", restorer,
                                  ExportSettings(temporal=window))
            return result.stats.frames_out / (time.perf_counter() - started)
    finally:
        source.close()


def temporal_report(restorer: Restorer, window: int, clip: Path = SAMPLE_CLIP) -> dict:
    frames = _decoded(clip)
    height, width = frames[0].rgb.shape[:2]
    stage_fps(frames[:2 * window + 2], window, False)   # warm-up (OpenCV's first flows)
    alone, past = stage_fps(frames, window, False), stage_fps(frames, window, True)
    deconvolving = stage_fps(frames[:DECONVOLVE_FRAMES], window, False, deconvolve=True)
    export_fps(restorer, clip, None)                    # warm-up (the model's first calls)
    single = export_fps(restorer, clip, None)
    temporal = export_fps(restorer, clip, window)
    return {"what": "temporal reference stage", "machine": machine_description(),
            "clip": clip.name, "size": f"{width}x{height}", "frames": len(frames),
            "window": window, "stage_fps": round(alone, 1), "stage_fps_past_only": round(past, 1),
            "stage_fps_deconvolve": round(deconvolving, 2),
            "deconvolve_frames": min(DECONVOLVE_FRAMES, len(frames)),
            "restorer": restorer.description, "export_fps": round(single, 2),
            "export_temporal_fps": round(temporal, 2),
            "export_ratio": round(temporal / single, 3)}
