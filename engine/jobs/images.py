"""Still images in and out: decoding with OpenCV from bytes (so errors are ours to word),
keeping grey images grey, alpha channels untouched and 16-bit pictures 16-bit, and atomic PNG
writes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from common.atomic import atomic_output
from engine.formats.depth import add_restoration, to_uint8
from engine.errors import InputError
from engine.jobs.outputs import InputSet, refuse_inputs

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@dataclass
class Image:
    rgb: np.ndarray                  # uint8 H x W x 3: what the model sees
    alpha: np.ndarray | None = None  # H x W at the source's depth, carried through unchanged
    grey: bool = False               # written back as one channel
    deep: np.ndarray | None = None   # uint16 H x W x 3 of a 16-bit source: the output keeps it
    note: str | None = None          # what writing it as PNG changes


def _to_uint16(pixels: np.ndarray) -> np.ndarray:
    """Float (0..1) or 32-bit pixels, which PNG cannot hold, as 16-bit."""
    if pixels.dtype.kind == "f":
        return np.clip(pixels * 65535.0, 0, 65535).round().astype(np.uint16)
    return (pixels >> (8 * pixels.dtype.itemsize - 16)).astype(np.uint16)


def read_image(path: Path) -> Image:
    """Decode an image file; raises InputError naming the file when it cannot be used. 16-bit
    (and float) pixels are kept in `deep`; memory stays near two copies of the picture."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an image") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not data:
        raise InputError(f"{path}: empty file, not an image")
    buffer = np.frombuffer(data, np.uint8)
    raw = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise InputError(f"{path}: not an image OpenCV can decode (corrupt or unsupported)")
    note = None
    if raw.dtype not in (np.uint8, np.uint16):
        note = f"{path}: {raw.dtype} pixels are written as a 16-bit PNG"
    if raw.ndim == 3 and raw.shape[2] == 4:
        raw = raw if note is None else _to_uint16(raw)
        alpha = raw[..., 3].copy()
        colour, grey = cv2.cvtColor(raw, cv2.COLOR_BGRA2RGB), False
    else:
        # Decoding as colour applies the EXIF orientation, as every photo viewer does.
        alpha, grey, deep = None, raw.ndim == 2, raw.dtype != np.uint8
        del raw
        colour = cv2.imdecode(buffer, cv2.IMREAD_COLOR | (cv2.IMREAD_ANYDEPTH if deep else 0))
        colour = colour if note is None else _to_uint16(colour)
        cv2.cvtColor(colour, cv2.COLOR_BGR2RGB, dst=colour)
    if colour.dtype == np.uint16:
        return Image(to_uint8(colour), alpha, grey, deep=colour, note=note)
    return Image(colour, alpha, grey, note=note)


def write_png(path: Path, rgb: np.ndarray, like: Image) -> None:
    """Write the restored `rgb` as PNG with the source's channel layout (grey, RGB or RGBA) and
    depth (a 16-bit source: its pixels plus what the model changed), through a temporary
    file renamed into place. Converts `rgb` and `like.deep` in place: no third copy."""
    pixels = add_restoration(like.deep, like.rgb, rgb) if like.deep is not None else rgb
    if like.grey:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    elif like.alpha is not None:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGRA)
        pixels[..., 3] = like.alpha
    else:
        cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR, dst=pixels)
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise InputError(f"{path}: PNG encoding failed")
    del pixels
    with atomic_output(path) as temporary:
        temporary.write_bytes(encoded.data)


def expand_inputs(inputs: list[Path]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as their image files (sorted, not recursive). Returns the paths
    and one error line per input that does not exist or holds no images."""
    paths: list[Path] = []
    errors: list[str] = []
    for given in map(Path, inputs):
        if given.is_dir():
            found = sorted(p for p in given.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                errors.append(f"{given}: folder holds no image files")
            paths += found
        elif given.exists():
            paths.append(given)
        else:
            errors.append(f"{given}: no such file or folder")
    return paths, errors


def output_plan(paths: list[Path], outdir: Path) -> list[tuple[Path, Path]]:
    """(input, OUTDIR/stem.png) for each input, the same file given twice counted once.
    Refused up front (InputError): a target that is one of the inputs, and two inputs whose
    results would share one name (a.jpg and a.png) - rather than renaming one of them."""
    inputs = InputSet(paths)
    plan: dict[Path, Path] = {}
    seen: set[Path] = set()
    for path in paths:
        if (key := path.resolve()) in seen:
            continue
        seen.add(key)
        target = Path(outdir) / f"{path.stem}.png"
        refuse_inputs(target, inputs, "choose another OUTDIR")
        if target in plan:
            raise InputError(f"{plan[target]} and {path} would both be written to {target}; "
                             "restore them into separate folders or rename one")
        plan[target] = path
    return [(path, target) for target, path in plan.items()]
