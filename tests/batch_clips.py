"""Folders of short clips for the batch-export tests: videos at two depths, one without an
extension, a truncated `.mp4` (fails), a text file and a picture (not videos, skipped)."""
from __future__ import annotations

import shutil
from pathlib import Path

import av
import cv2
import numpy as np

from tests.videos import make_video


def make_tree(root: Path, frames: tuple[int, int, int] = (12, 8, 10)) -> dict[str, int]:
    """Three good videos (nested, one named without extension) plus a truncated mp4, a text
    file and a PNG; returns {output name under OUTDIR: frames} for the good ones."""
    (root / "sub" / "deeper").mkdir(parents=True)
    make_video(root / "a.mp4", frames[0])
    make_video(root / "sub" / "b.mkv", frames[1], width=48, height=32)
    make_video(root / "tmp-c.mp4", frames[2])
    shutil.move(root / "tmp-c.mp4", root / "sub" / "deeper" / "c")   # a video by content only
    whole = (root / "a.mp4").read_bytes()
    (root / "bad.mp4").write_bytes(whole[:len(whole) // 2])           # no moov: unreadable
    (root / "notes.txt").write_text("not a video\n")
    cv2.imwrite(str(root / "sub" / "photo.png"), np.zeros((16, 16, 3), np.uint8))
    return {"a.mp4": frames[0], "sub/b.mkv": frames[1], "sub/deeper/c.mp4": frames[2]}


def make_clips(root: Path, count: int, frames: int) -> list[str]:
    """`count` flat clips clip0.mp4 ... of `frames` frames each; their names."""
    root.mkdir(parents=True, exist_ok=True)
    names = [f"clip{k}.mp4" for k in range(count)]
    for name in names:
        make_video(root / name, frames)
    return names


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def part_files(folder: Path) -> list[Path]:
    """What a writer left behind anywhere under `folder` (there must be none)."""
    return [p for p in folder.rglob("*") if ".part" in p.name or ".deblur-" in p.name]


def outputs(folder: Path) -> dict[str, int]:
    """{name relative to folder: decoded frames} of every file under it."""
    return {p.relative_to(folder).as_posix(): len(decoded(p))
            for p in sorted(folder.rglob("*")) if p.is_file()}
