"""Clips scored as the user gets them (`deblur eval --clips DIR --as-exported`): restored and
written by the export itself (its encoder, 4:2:0 chroma and quantiser included), decoded, and
scored against the truth as clip_evaluation.py scores the frames before encoding. Beside that,
from the same run: the gain of those frames before the encoder, and the gain of the input
written by the same encoder unchanged (a plain transcode), which is what the codec alone
costs. A restorer's gain in memory is not what a re-encoded file keeps: the held-out clips
transcoded unchanged at x264's CRF 18 lose 0.2 dB against their truth (BENCHMARKS.md, "What
the exported file keeps")."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.errors import InputError
from engine.jobs.video_export import ExportSettings, export_video
from engine.measure.clip_evaluation import ClipScores, clip_row
from engine.sources.file import FileSource
from engine.stages.restorer import Restorer


def score_decoded(blurred: Path, output: Path, truth: Path) -> dict:
    """The clip's row for `output`, a video made from `blurred` frame for frame, both decoded
    as the product decodes any input."""
    scores, inputs, outputs = ClipScores(truth), FileSource(blurred), FileSource(output)
    try:
        decoded = iter(outputs)
        for frame in inputs:
            written = next(decoded, None)
            if written is None:
                raise InputError(f"{output.name}: has fewer frames than {blurred.name}")
            scores.add(frame.rgb, written.rgb)
        if next(decoded, None) is not None:
            raise InputError(f"{output.name}: has more frames than {blurred.name}")
        return clip_row(blurred, truth, scores)
    finally:
        inputs.close()
        outputs.close()
        scores.close()


def _export(blurred: Path, output: Path, stages: Restorer | list, settings: ExportSettings,
            progress: Callable[[int], object] | None) -> dict | None:
    source = FileSource(blurred)
    try:
        result = export_video(source, output, stages, settings,
                              on_output=(lambda _: progress(1)) if progress else None)
    finally:
        source.close()
    return result.scores


def score_exported(restorer: Restorer, blurred: Path, truth: Path, settings: ExportSettings,
                   progress: Callable[[int], object] | None = None) -> dict:
    """The clip's row scored on the file the export with `settings` writes (its temporal
    options included), with `before_encoding` (the gain of its frames before the encoder)
    and `transcoded` (the gain of the input written by the same encoder, unchanged), and both
    files' sizes against the clip's (`size_ratio`, `transcoded_size_ratio`)."""
    with tempfile.TemporaryDirectory(prefix="deblur-eval-") as folder:
        restored = Path(folder) / f"{blurred.stem}.restored.mkv"
        plain = Path(folder) / f"{blurred.stem}.transcoded.mkv"
        before = _export(blurred, restored, restorer, replace(settings, reference=truth),
                         progress)
        _export(blurred, plain, [], replace(settings, temporal=None, reference=None), None)
        row = score_decoded(blurred, restored, truth)
        transcoded = score_decoded(blurred, plain, truth)
        source_bytes = blurred.stat().st_size
        row["size_ratio"] = restored.stat().st_size / source_bytes
        row["transcoded_size_ratio"] = plain.stat().st_size / source_bytes
    row["before_encoding"] = before["psnr_output"] - before["psnr_input"]
    row["transcoded"] = transcoded["gain"]
    return row
