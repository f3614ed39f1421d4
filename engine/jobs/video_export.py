"""A whole export: source -> pipeline (restoring) -> encoder, optionally composing before/after
pictures and scoring against a ground-truth video. The output appears only when everything
succeeded; on an error or Ctrl-C the temporary file is removed."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.formats.depth import add_restoration
from engine.errors import InputError
from engine.measure.evaluation import VideoScores
from engine.jobs.export_plan import ExportPlan, plan_export
from engine.frames import Frame
from engine.jobs.outputs import check_folder, check_space, refuse_inputs
from engine.pipeline import Pipeline
from engine.sinks.compare import compose
from engine.sinks.video_writer import VideoWriter, check_output
from engine.sources import Source
from engine.stages import Stage
from engine.stages.temporal import TemporalStage
from engine.pipeline.stats import PipelineStats


# Recording a live source: the encoder must keep up on a small CPU beside inference (OBS uses
# the same default); files, where time is not of the essence, keep x264's own (medium).
LIVE_PRESET = "veryfast"
MIN_OUTPUT_BYTES = 64 * 1024
LOSSLESS = ("ffv1", "prores_ks")


@dataclass
class ExportSettings:
    codec: str = "libx264"
    crf: int | None = None           # None: the codec's default quality (crf 18 for x264)
    compare: str | None = None       # 'side-by-side' or 'split'
    batch_size: int = 1
    duration: float | None = None    # seconds of a live source to record
    reference: Path | None = None    # ground-truth video for PSNR
    preset: str | None = None        # x264/x265 speed preset (None: medium, live: veryfast)
    plan: ExportPlan | None = None   # what is kept (None: planned when the export starts)
    temporal: int | None = None      # temporal reference stage with this window (None: off)
    deconvolve: bool = False         # with it, the multi-frame deconvolution (engine.temporal)
    refine: bool | None = None       # the learned fusion refiner (None: the stage's default)


@dataclass
class ExportResult:
    output: Path
    stats: PipelineStats
    notes: list[str] = field(default_factory=list)   # what was adapted (audio re-encoded, ...)
    scores: dict | None = None                       # PSNR against the reference


def check_target(output: Path, overwrite: bool, source: Path | None = None,
                 codec: str = "libx264", crf: int | None = None,
                 preset: str | None = None, also_read: Sequence[Path | None] = ()) -> None:
    """Refuse early (before any model loads) an output that cannot or must not be written:
    among others one that is the input or any other file the export reads (`also_read`: the
    reference video)."""
    output = Path(output)
    check_output(output, codec, crf, preset)
    if output.is_dir():
        raise InputError(f"{output}: is a directory; give a file name such as out.mp4")
    if not output.parent.is_dir():
        raise InputError(f"{output.parent}: no such folder for the output")
    refuse_inputs(output, [source, *also_read])
    check_folder(output.parent)
    check_space(output.parent, estimated_bytes(source, codec))
    if output.exists() and not overwrite:
        raise InputError(f"{output}: exists; pass -y to overwrite")


def estimated_bytes(source: Path | None, codec: str) -> int:
    """A low estimate of the output's size for the free-space check, so that only a run sure
    to fail is stopped: half the input for delivery codecs (restored frames are sharper, so
    rarely smaller), twice the input for ffv1 / ProRes; 64 KiB at least (and for live)."""
    if source is None or not Path(source).is_file():
        return MIN_OUTPUT_BYTES
    size = Path(source).stat().st_size
    return max(MIN_OUTPUT_BYTES, size * 2 if codec in LOSSLESS else size // 2)


def default_batch(device: str) -> int:
    """Batch frames where the backend gains from it: a GPU does; a CPU only adds latency."""
    return 4 if device.startswith("cuda") else 1


def open_writer(source: Source, output: Path,
                settings: ExportSettings) -> tuple[VideoWriter, ExportPlan]:
    """The encoder for restored frames of `source` (the one way to write them: an export, a
    recording of a camera in the CLI or the viewer), with the plan of what the output keeps.
    A live source gets the live preset unless one is asked for."""
    preset = settings.preset
    if preset is None and source.live and settings.codec in ("libx264", "libx265"):
        preset = LIVE_PRESET
    plan = settings.plan or plan_export(source, output, settings.codec, settings.compare)
    writer = VideoWriter(output, time_base=source.time_base, rate=source.rate,
                         codec=settings.codec, crf=settings.crf, colour=source.colour,
                         copy_from=source.path, preset=preset,
                         streams=plan.streams, source_format=plan.source_format,
                         extra_options=plan.options)
    return writer, plan


def with_temporal(stages: Stage | Sequence[Stage], window: int | None,
                  live: bool, deconvolve: bool = False, refine: bool | None = None
                  ) -> list[Stage]:
    """`stages`, or where a window is asked for the temporal reference stage running them as
    its base, on the frames that need it (past frames only for a live source: it never waits
    for the future), with the multi-frame deconvolution and the fusion refiner where asked
    (`refine` None: with the deconvolution)."""
    stages = [stages] if hasattr(stages, "push") else list(stages)
    return ([TemporalStage(window, past_only=live, base=stages, deconvolve=deconvolve,
                           refine=refine)]
            if window else stages)


def export_video(source: Source, output: Path, stages: Stage | Sequence[Stage],
                 settings: ExportSettings,
                 on_output: Callable[[PipelineStats], None] | None = None) -> ExportResult:
    """`stages`: what frames go through (a Restorer is the restoration stage)."""
    # The last guard for callers that skipped check_target: never write over what is read.
    refuse_inputs(output, [source.path, settings.reference])
    writer, plan = open_writer(source, output, settings)
    scores = None
    try:
        scores = VideoScores(settings.reference) if settings.reference else None

        def sink(frame: Frame) -> None:
            restored = frame.output
            if scores is not None:
                scores.add(frame.rgb, restored)
            before, after = frame.rgb, restored
            if frame.deep is not None:   # the model's change on the input's own bits
                before = frame.deep
                after = add_restoration(frame.deep.copy() if settings.compare else frame.deep,
                                        frame.rgb, restored)
            if settings.compare:
                writer.write(compose(settings.compare, before, after), frame.pts)
            else:
                writer.write(after, frame.pts, frame.as_decoded, frame.picture_type)

        pipeline = Pipeline(source, with_temporal(stages, settings.temporal, source.live,
                                                  settings.deconvolve, settings.refine), sink,
                            batch_size=settings.batch_size,
                            duration=settings.duration, on_output=on_output)
        stats = pipeline.run()
        if stats.frames_out == 0:
            raise InputError(f"{source.name}: no video frame could be decoded")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        if scores is not None:
            scores.close()
    notes = plan.notes + [note for note in writer.notes if note not in plan.notes]
    return ExportResult(Path(output), stats, notes,
                        scores.result() if scores is not None else None)
