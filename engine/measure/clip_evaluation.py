"""Clips restored frame by frame and scored against their ground-truth videos: per clip the
mean PSNR of input and output, and beside the means the worst clip's gain and the worst
stretch of STRETCH consecutive frames (harm a viewer sees for a third of a second, which a
mean over a clip hides), the share of BLOCK px blocks made HARM_DB or more worse than the
input (harm in a part of a frame, which a frame's mean hides), and the gain in bands of input
PSNR over every frame."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.errors import InputError
from engine.measure.evaluation import VideoScores, gain_by_severity
from engine.frames import Frame
from engine.jobs.video_export import with_temporal
from engine.pipeline import Pipeline
from engine.stages.restorer import Restorer
from engine.sources.file import FileSource

STRETCH = 10                  # frames in the sliding window of the worst stretch
BLOCK = 32                    # px, the side of a block of the local-harm count
HARM_DB = 1.0                 # a block this much worse than the input counts as harmed
HARM_FLOOR = 1.0              # grey levels² added to both errors: a near-perfect block that
                              # stays near-perfect is no harm
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".m4v", ".webm", ".avi")
EXPORT_GAINS = ("before_encoding", "transcoded")   # what rows scored on an exported file add
                                                    # (exported_clips.py)
EXPORT_SIZES = ("size_ratio", "transcoded_size_ratio")   # and their files' bytes / the clip's


def find_clips(folder: Path) -> list[tuple[Path, Path]]:
    """(blurred, truth) for every video NAME.EXT in `folder` that has its ground truth
    NAME.sharp.* beside it (what `deblur data clips` and `deblur synth` write)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    videos = sorted(p for p in folder.iterdir()
                    if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith("."))
    truths = {p.stem[:-len(".sharp")]: p for p in videos if p.stem.endswith(".sharp")}
    return [(p, truths[p.stem]) for p in videos if p.stem in truths]


def harmed_blocks(truth: np.ndarray, blurred: np.ndarray, restored: np.ndarray) -> float:
    """The share of the frame's whole BLOCK x BLOCK blocks whose error against `truth` the
    restoration raised by HARM_DB or more (uint8 RGB, one size)."""
    h, w = (truth.shape[0] // BLOCK) * BLOCK, (truth.shape[1] // BLOCK) * BLOCK
    if not h or not w:
        return 0.0

    def block_mse(image: np.ndarray) -> np.ndarray:
        error = (image[:h, :w].astype(np.float32) - truth[:h, :w]) ** 2
        return error.mean(axis=2).reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(1, 3))

    ratio = (block_mse(restored) + HARM_FLOOR) / (block_mse(blurred) + HARM_FLOOR)
    return float(np.mean(10 * np.log10(ratio) >= HARM_DB))


class ClipScores(VideoScores):
    """VideoScores that also give every frame's (input, output) PSNR and harmed blocks."""

    def __init__(self, reference: Path):
        super().__init__(reference)
        self._harmed: list[float] = []

    def add(self, blurred: np.ndarray, restored: np.ndarray) -> np.ndarray:
        truth = super().add(blurred, restored)
        self._harmed.append(harmed_blocks(truth, blurred, restored))
        return truth

    def harmed(self) -> float:
        """The mean share of harmed blocks over the frames so far."""
        return float(np.mean(self._harmed)) if self._harmed else 0.0

    def per_frame(self) -> np.ndarray:
        return np.array(self._psnr).reshape(-1, 2)

    def frames_left(self) -> bool:
        """Whether the truth has frames the clip had not."""
        return next(self._frames, None) is not None


def worst_stretch(gains: np.ndarray, length: int = STRETCH) -> tuple[int, float]:
    """First frame and mean gain of the worst `length` consecutive frames (the whole clip
    when it is shorter)."""
    length = min(length, len(gains))
    means = np.convolve(gains, np.ones(length) / length, mode="valid")
    start = int(np.argmin(means))
    return start, float(means[start])


def score_clip(restorer: Restorer, blurred: Path, truth: Path,
               progress: Callable[[int], object] | None = None,
               temporal: int | None = None, past_only: bool = False,
               deconvolve: bool = False, refine: bool | None = None) -> dict:
    """The clip's row: frames, mean PSNR of input and output, gain, worst stretch, and every
    frame's (input, output) PSNR; through the temporal stage too where a window is given
    (`past_only`: as a live source would, never looking ahead)."""
    source, scores = FileSource(blurred), ClipScores(truth)

    def sink(frame: Frame) -> None:
        scores.add(frame.rgb, frame.output)
        if progress:
            progress(1)
    try:
        Pipeline(source, with_temporal(restorer, temporal, live=past_only,
                                       deconvolve=deconvolve, refine=refine), sink,
                 live=False).run()
        return clip_row(blurred, truth, scores)
    finally:
        source.close()
        scores.close()


def clip_row(blurred: Path, truth: Path, scores: ClipScores) -> dict:
    """The clip's row from the scores of all its frames."""
    if scores.frames_left():
        raise InputError(f"{truth}: has more frames than {blurred.name}")
    result, psnr, harmed = scores.result(), scores.per_frame(), scores.harmed()
    if not len(psnr):
        raise InputError(f"{blurred}: no frames")
    start, stretch = worst_stretch(psnr[:, 1] - psnr[:, 0])
    return {"clip": blurred.stem, "frames": len(psnr), "psnr_input": result["psnr_input"],
            "psnr_output": result["psnr_output"],
            "gain": result["psnr_output"] - result["psnr_input"], "worst_stretch": stretch,
            "worst_stretch_start": start, "harmed_blocks": harmed,
            "per_frame": psnr.round(3).tolist()}


def summarise(rows: list[dict]) -> dict:
    """Means over the clips (each clip counts once), the worst clip, the worst stretch of any
    clip, the harmed blocks (mean and most harmed clip) and the gain by input PSNR over all
    frames."""
    least = min(rows, key=lambda r: r["gain"])
    stretch = min(rows, key=lambda r: r["worst_stretch"])
    harmed = max(rows, key=lambda r: r["harmed_blocks"])
    frames = [tuple(f) for r in rows for f in r["per_frame"]]
    means = ("psnr_input", "psnr_output", "gain",
             *(k for k in EXPORT_GAINS + EXPORT_SIZES if all(k in r for r in rows)))
    return {"clips": len(rows), "frames": len(frames),
            **{k: round(float(np.mean([r[k] for r in rows])), 3) for k in means},
            "harmed_blocks": round(float(np.mean([r["harmed_blocks"] for r in rows])), 5),
            "most_harmed_clip": {"clip": harmed["clip"],
                                 "harmed_blocks": round(harmed["harmed_blocks"], 5)},
            "worst_clip": {"clip": least["clip"], "gain": round(least["gain"], 3)},
            "worst_stretch": {"clip": stretch["clip"],
                              "first_frame": stretch["worst_stretch_start"],
                              "frames": min(STRETCH, stretch["frames"]),
                              "gain": round(stretch["worst_stretch"], 3)},
            "by_input": gain_by_severity(frames)}
