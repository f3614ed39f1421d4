"""How far tiled restoration is from whole-frame restoration, for BENCHMARKS.md:
`deblur bench --tiling-check 1024:256 --model fast --backend torch --size 2560x1440`.
The frame is a bundled blurred still upscaled to the size."""
from __future__ import annotations

import cv2
import numpy as np

from engine.measure.bench import SAMPLE_CLIP
from engine.stages.restorer import Restorer
from engine.stages.tiling import TileOptions, restore_tiled

STILL = SAMPLE_CLIP.parent / "pairs" / "blur" / "city_0080.png"


def tiling_difference(model: str, backend: str, width: int, height: int,
                      tiles: list[tuple[int, int]], device: str | None = None) -> list[dict]:
    photo = cv2.cvtColor(cv2.imread(str(STILL)), cv2.COLOR_BGR2RGB)
    frame = np.ascontiguousarray(cv2.resize(photo, (width, height),
                                            interpolation=cv2.INTER_CUBIC))
    restorer = Restorer(model, backend, device, tiles=TileOptions(max_pixels=10**12))
    whole = restorer.restore(frame).astype(np.int16)
    rows = []
    for tile, overlap in tiles:
        tiled = restore_tiled(restorer.backend.infer, frame, TileOptions(tile, overlap),
                              restorer.model.spec.pad_multiple)
        difference = np.abs(tiled.astype(np.int16) - whole)
        rows.append({"model": restorer.model.entry.name, "size": f"{width}x{height}",
                     "tile": tile, "overlap": overlap, "max": int(difference.max()),
                     "p99_9": float(np.percentile(difference, 99.9)),
                     "mean": round(float(difference.mean()), 4)})
    return rows
