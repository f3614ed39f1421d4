"""HDR10 static metadata (the mastering display's colour volume, the content light levels),
read from a decoded frame's side data and handed to an encoder that takes it as options.
PyAV cannot attach side data to an encoded stream, so other encoders leave it out, said in a
note. The layouts are FFmpeg's AVMasteringDisplayMetadata and AVContentLightMetadata."""
from __future__ import annotations

import struct
from dataclasses import dataclass

import av
from av.sidedata.sidedata import Type


@dataclass(frozen=True)
class HdrMetadata:
    mastering: bytes | None = None   # AVMasteringDisplayMetadata, as decoded
    light: bytes | None = None       # AVContentLightMetadata

    def __bool__(self) -> bool:
        return self.mastering is not None or self.light is not None


def from_frame(frame: av.VideoFrame) -> HdrMetadata:
    found = {kind: frame.side_data.get(kind) for kind in
             (Type.MASTERING_DISPLAY_METADATA, Type.CONTENT_LIGHT_LEVEL)}
    mastering, light = (bytes(d) if d is not None else None for d in found.values())
    return HdrMetadata(mastering, light)


def x265_params(hdr: HdrMetadata) -> str:
    """x265's master-display (chromaticity in 1/50000, luminance in 1/10000 cd/m2, G B R WP
    order) and max-cll."""
    parts = []
    if hdr.mastering is not None:
        values = struct.unpack("<22i", hdr.mastering[:88])
        ratio = [values[2 * k] / values[2 * k + 1] if values[2 * k + 1] else 0.0
                 for k in range(10)]
        (rx, ry, gx, gy, bx, by, wx, wy), (low, high) = ratio[:8], ratio[8:]
        if values[20] and values[21]:   # has_primaries, has_luminance
            xy = [f"({round(x * 50000)},{round(y * 50000)})"
                  for x, y in ((gx, gy), (bx, by), (rx, ry), (wx, wy))]
            parts.append(f"master-display=G{xy[0]}B{xy[1]}R{xy[2]}WP{xy[3]}"
                         f"L({round(high * 10000)},{round(low * 10000)})")
    if hdr.light is not None:
        max_cll, max_fall = struct.unpack("<2I", hdr.light[:8])
        parts.append(f"max-cll={max_cll},{max_fall}")
    return ":".join(parts)


def hdr_options(codec: str, hdr: HdrMetadata) -> tuple[dict[str, str], str | None]:
    """Encoder options that carry `hdr` with `codec`, or a note that it is left out."""
    if not hdr:
        return {}, None
    if codec == "libx265" and (params := x265_params(hdr)):
        return {"x265-params": params}, None
    return {}, (f"video: the input's HDR mastering-display and content-light metadata cannot "
                f"be written with {codec} through PyAV; left out (--codec libx265 keeps it)")
