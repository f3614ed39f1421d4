"""How far tiled restoration is from whole-frame restoration, for BENCHMARKS.md:
`python -m engine.tiling_check --model fast --size 2560x1440 --tile 1024 --overlap 256`.
The frame is a bundled blurred still upscaled to the size."""
from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from engine.bench import SAMPLE_CLIP
from engine.restorer import Restorer
from engine.tiling import TileOptions, restore_tiled

STILL = SAMPLE_CLIP.parent / "pairs" / "blur" / "city_0080.png"


def tiling_difference(model: str, backend: str, width: int, height: int,
                      tiles: list[tuple[int, int]]) -> list[dict]:
    photo = cv2.cvtColor(cv2.imread(str(STILL)), cv2.COLOR_BGR2RGB)
    frame = np.ascontiguousarray(cv2.resize(photo, (width, height),
                                            interpolation=cv2.INTER_CUBIC))
    restorer = Restorer(model, backend, tiles=TileOptions(max_pixels=10**12))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fast")
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--size", default="2560x1440")
    parser.add_argument("--tile", type=int, nargs="+", default=[TileOptions().tile])
    parser.add_argument("--overlap", type=int, nargs="+", default=[TileOptions().overlap],
                        help="one per --tile")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    for row in tiling_difference(args.model, args.backend, width, height,
                                 list(zip(args.tile, args.overlap))):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
