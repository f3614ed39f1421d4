"""Peak memory of restoring one big picture as `deblur image` does (read, restore in tiles,
write a PNG). Every run is a child process of its own; the figure is its peak RSS (VmHWM)
minus that of a child that only loads the model and restores a tile-sized frame (three times:
ONNX Runtime plans a shape's memory on the first run and allocates it on the second), so that
it is what the picture itself costs, also as a multiple of its size as uint8 RGB.

    python -m engine.measure.image_bench MODE PICTURE MODEL BACKEND DEVICE TILE   (MODE: base|image)
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from engine.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def make_picture(path: Path, width: int, height: int) -> Path:
    """A photo-like test picture: smooth colour ramps with fine texture, built row band by
    row band so that making it costs little memory (PNG level 1: quick to write)."""
    picture = np.empty((height, width, 3), np.uint8)
    x = np.arange(width, dtype=np.float32)
    for top in range(0, height, 512):
        y = np.arange(top, min(top + 512, height), dtype=np.float32)[:, None]
        band = picture[top:top + len(y)]
        band[..., 0] = 128 + 100 * np.sin(x / 97 + y / 131)
        band[..., 1] = (x * 255 / max(width - 1, 1)).astype(np.uint8)
        band[..., 2] = 128 + 60 * np.sin(x * y / 5e4)
    if not cv2.imwrite(str(path), picture, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise InputError(f"{path}: could not write the test picture")
    return path


def peak_rss() -> int:
    """This process's peak RSS in bytes: VmHWM, the high-water mark of its own memory since
    exec. ru_maxrss would do but on Linux it starts at the parent's peak (kept across exec),
    so a child of a big process (a test run) would report the parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(mode: str, picture: str, model: str, backend: str, device: str,
           tile: str) -> None:
    from engine.jobs.images import read_image, write_png
    from engine.stages.restorer import Restorer
    from engine.stages.tiling import TileOptions
    tiles = TileOptions(tile=int(tile), max_pixels=0) if int(tile) else TileOptions()
    restorer = Restorer(model, backend, None if device == "-" else device, tiles)
    for _ in range(3):   # see the docstring
        restorer.restore(np.zeros((tiles.tile, tiles.tile, 3), np.uint8))
    started = time.perf_counter()
    if mode == "image":
        image = read_image(Path(picture))
        write_png(Path(picture).with_name("restored.png"), restorer.restore(image.rgb), image)
    print(json.dumps({"maxrss": peak_rss(),
                      "seconds": time.perf_counter() - started,
                      "path": restorer.description}))


def _run(mode: str, picture: Path, model: str, backend: str, device: str | None,
         tile: int | None) -> dict:
    done = subprocess.run([sys.executable, "-m", "engine.measure.image_bench", mode, str(picture),
                           model, backend, device or "-", str(tile or 0)], cwd=ROOT,
                          capture_output=True, text=True, env=os.environ.copy())
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"the image memory benchmark failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_image_memory(width: int, height: int, model: str = "fast", backend: str = "auto",
                         device: str | None = None, tile: int | None = None) -> dict:
    """Peak RSS growth of restoring a width x height picture, in bytes and as a multiple of
    the picture's uint8 size. A first child prepares what backends cache (ONNX exports)."""
    with tempfile.TemporaryDirectory(prefix="deblur-image-bench-") as folder:
        picture = make_picture(Path(folder) / "picture.png", width, height)
        args = (picture, model, backend, device, tile)
        _run("base", *args)
        base, full = _run("base", *args), _run("image", *args)
    size = width * height * 3
    growth = full["maxrss"] - base["maxrss"]
    return {"width": width, "height": height, "image_bytes": size, "path": full["path"],
            "baseline_peak_bytes": base["maxrss"], "peak_bytes": full["maxrss"],
            "growth_bytes": growth, "growth_ratio": growth / size,
            "seconds": full["seconds"]}


if __name__ == "__main__":
    _child(*sys.argv[1:7])
