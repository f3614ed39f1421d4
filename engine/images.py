"""Still images in and out: decoding with OpenCV from bytes (so errors are ours to word),
keeping grey images grey and alpha channels untouched, and atomic PNG writes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_output
from engine.errors import InputError
from engine.outputs import InputSet, refuse_inputs

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@dataclass
class Image:
    rgb: np.ndarray                 # uint8 H x W x 3
    alpha: np.ndarray | None = None  # uint8 H x W, carried through unchanged
    grey: bool = False               # written back as one channel


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype == np.uint16:
        return (pixels >> 8).astype(np.uint8)
    return np.clip(pixels.astype(np.float32) * 255.0, 0, 255).round().astype(np.uint8)


def read_image(path: Path) -> Image:
    """Decode an image file; raises InputError naming the file when it cannot be used."""
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
    if raw.ndim == 3 and raw.shape[2] == 4:
        pixels = _to_uint8(raw)
        return Image(cv2.cvtColor(pixels[..., :3], cv2.COLOR_BGR2RGB), alpha=pixels[..., 3])
    # Decoding as colour applies the EXIF orientation, as every photo viewer does.
    colour = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    return Image(cv2.cvtColor(colour, cv2.COLOR_BGR2RGB), grey=raw.ndim == 2)


def write_png(path: Path, rgb: np.ndarray, like: Image) -> None:
    """Write `rgb` as PNG with the source's channel layout (grey, RGB or RGBA), through a
    temporary file renamed into place, so an interrupted run leaves no partial file."""
    if like.grey:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    elif like.alpha is not None:
        pixels = np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), like.alpha])
    else:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise InputError(f"{path}: PNG encoding failed")
    with atomic_output(path) as temporary:
        temporary.write_bytes(encoded.tobytes())


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
