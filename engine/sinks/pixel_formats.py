"""The encoder's pixel format: the input's bit depth and chroma resolution where the codec can
hold them (10-bit 4:2:2 stays 10-bit 4:2:2), yuv420p for 8-bit 4:2:0 and for sources that do
not say (cameras); full-resolution chroma for odd sizes. Losing depth is worse than losing
chroma, so a codec without the exact format keeps the bits first; a note says what was lost."""
from __future__ import annotations

import av

from engine.errors import InputError

CHROMA = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (4, 1): "4:1:1", (1, 2): "4:4:0",
          (4, 4): "4:1:0"}


def describe(pix_fmt: str) -> tuple[int, tuple[int, int]]:
    """(bits per component, chroma subsampling (horizontal, vertical)) of a pixel format; RGB
    counts as 4:4:4, grey as 4:2:0 (no colour to keep)."""
    fmt = av.VideoFormat(pix_fmt, 64, 64)
    bits = max(c.bits for c in fmt.components)
    if fmt.is_rgb or len(fmt.components) < 3:
        return bits, (1, 1) if fmt.is_rgb else (2, 2)
    chroma = fmt.components[1]
    return bits, (64 // max(chroma.width, 1), 64 // max(chroma.height, 1))


def _coarser(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] > b[0] or a[1] > b[1]


def pixel_format(codec: str, width: int, height: int, source: str | None = None) -> str:
    """The format to encode `codec` in for a frame of this size from a `source` pixel format
    (None: 8-bit 4:2:0)."""
    formats = [f.name for f in av.Codec(codec, "w").video_formats or ()]
    planar = [f for f in formats if f.startswith("yuv") and not f.startswith(("yuva", "yuvj"))]
    if not planar:
        return "yuv420p" if not formats else formats[0]
    bits, chroma = describe(source) if source else (8, (2, 2))
    if width % 2 or height % 2:   # 4:2:0 cannot represent an odd size
        planar = [f for f in planar if describe(f)[1] == (1, 1)]
        if not planar:
            raise InputError(f"{codec} cannot encode the odd frame size {width}x{height}; "
                             "use --codec libx264 or ffv1")
        chroma = (1, 1)

    def cost(name: str) -> tuple:
        got_bits, got_chroma = describe(name)
        return (max(0, bits - got_bits), _coarser(got_chroma, chroma), max(0, got_bits - bits),
                _coarser(chroma, got_chroma))
    return min(planar, key=cost)


def format_notes(codec: str, width: int, height: int, source: str | None) -> tuple[str, list]:
    """The pixel format (see pixel_format) and the lines that say how it differs from the
    input's: what is lost, or which format is used where it is not plain yuv420p."""
    chosen = pixel_format(codec, width, height, source)
    notes = []
    if source:
        (bits, chroma), (got_bits, got_chroma) = describe(source), describe(chosen)
        lost = ([f"{bits}-bit as {got_bits}-bit"] if got_bits < bits else []) + (
            [f"{CHROMA.get(chroma, chroma)} colour as {CHROMA.get(got_chroma, got_chroma)}"]
            if _coarser(got_chroma, chroma) and not (width % 2 or height % 2) else [])
        if lost:
            notes.append(f"video: the input's {source} is written as {chosen} "
                         f"({' and '.join(lost)}): {codec} has no closer format here; "
                         "--codec ffv1 (.mkv) keeps it")
    if chosen != "yuv420p":
        notes.append(f"encoded as {chosen} ({codec}, {width}x{height})")
    return chosen, notes
