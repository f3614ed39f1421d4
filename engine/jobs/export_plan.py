"""What an export keeps of its input and what it cannot, settled before the model loads and
before the first frame: the fate of each audio, subtitle and extra stream, the pixel format
(bit depth and chroma kept where the codec can), the HDR metadata; each change is one note."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.sinks.pixel_formats import describe, format_notes
from engine.sinks.stream_copy import StreamPlan, plan_streams
from engine.sources import Source
from engine.formats.hdr import hdr_options


@dataclass
class ExportPlan:
    streams: StreamPlan | None = None    # sound, subtitles, streams left out
    source_format: str | None = None     # the input's pixel format: depth and chroma to keep
    options: dict[str, str] = field(default_factory=dict)   # encoder options (HDR metadata)
    notes: list[str] = field(default_factory=list)


def plan_export(source: Source, output: Path, codec: str,
                compare: str | None = None) -> ExportPlan:
    """The plan for writing `source` to `output` with `codec`. A file source with more than 8
    bits is asked for 16-bit frames (source.deep) where the output keeps more than 8, and
    every source for its decoded samples (source.keeps_samples) unless it is a comparison."""
    streams = plan_streams(source.path, output) if source.path is not None else None
    notes = list(streams.notes) if streams is not None else []
    source_format, size = source.pix_fmt, source.size
    if source_format and size:
        width, height = size
        pix_fmt, lines = format_notes(codec, width * (2 if compare == "side-by-side" else 1),
                                      height, source_format)
        notes += lines
        source.deep = describe(source_format)[0] > 8 and describe(pix_fmt)[0] > 8
    # unchanged pixels are written with their own samples (formats/chroma.py); a comparison
    # video composes new pictures, so the copy per frame would be for nothing
    source.keeps_samples = compare is None
    options, note = hdr_options(codec, source.hdr)
    return ExportPlan(streams, source_format, options, notes + ([note] if note else []))
