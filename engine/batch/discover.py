"""Finding the videos of a batch: folders walked (their tree kept for the outputs), globs
expanded, files taken as given; each candidate probed with PyAV, so a video is found by its
content whatever its name, and a file that only looks like one (a `.mp4` FFmpeg cannot read)
is reported as a failure rather than skipped. Pictures, sound-only files and anything else are
skipped quietly and counted."""
from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av

from common.atomic import STALE
from engine.errors import InputError
from engine.sources.file import open_container

# Names people give video files: one of these that FFmpeg cannot read is a failed file.
VIDEO_SUFFIXES = frozenset((".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts",
                            ".ts", ".3gp", ".mpg", ".mpeg", ".wmv", ".flv", ".ogv", ".mxf",
                            ".dv", ".vob", ".lrv", ".insv"))
# Demuxers that give a "video stream" for what is not a video: pictures, GIFs, and the
# text-art ones that take almost any file (ANSI, binary text, XBIN, ArtWorx, iCEDraw).
NOT_VIDEO_FORMATS = frozenset(("image2", "gif", "apng", "ico", "tty", "bin", "xbin", "adf",
                               "idf"))


@dataclass(frozen=True)
class Candidate:
    path: Path                   # absolute
    name: str                    # relative to the root it was found under: the output's name
    frames: int | None = None    # as the container says (None: unknown)
    problem: str | None = None   # why a file named like a video cannot be read


@dataclass
class Found:
    videos: list[Candidate] = field(default_factory=list)
    broken: list[Candidate] = field(default_factory=list)   # video names FFmpeg cannot read
    skipped: int = 0                                        # other files, not videos


def probe(path: Path) -> tuple[str, int | None, str | None]:
    """('video', frames, None), ('broken', None, why) or ('other', None, None) for `path`."""
    try:
        with open_container(path) as container:
            fmt = container.format.name
            video = next(iter(container.streams.video), None)
            if (video is None or fmt in NOT_VIDEO_FORMATS or fmt.endswith("_pipe")
                    or video.codec_context is None or video.codec_context.codec is None):
                return "other", None, None
            return "video", _frame_count(container, video), None
    except (InputError, av.error.FFmpegError, OSError) as exc:
        if path.suffix.lower() in VIDEO_SUFFIXES:
            return "broken", None, str(exc)
        return "other", None, None


def _frame_count(container: av.container.InputContainer, video: av.VideoStream) -> int | None:
    if video.frames:
        return video.frames
    rate = video.average_rate or video.guessed_rate
    if video.duration and video.time_base and rate:
        return round(float(video.duration * video.time_base * rate))
    if container.duration and rate:
        return round(container.duration / 1e6 * float(rate))
    return None


def find_videos(inputs: Sequence[str | Path], exclude: Path | None = None) -> Found:
    """Every video under `inputs` (folders, globs, files), each once, in a stable order;
    files under `exclude` (the output folder) and hidden or temporary files are passed over.
    A missing input or a glob matching nothing is an InputError (the whole job is refused)."""
    found, seen = Found(), set()
    skip_root = exclude.resolve() if exclude is not None else None
    for given in inputs:
        for path, name in _candidates(str(given)):
            real = path.resolve()
            if real in seen or (skip_root is not None and real.is_relative_to(skip_root)):
                continue
            seen.add(real)
            kind, frames, problem = probe(path)
            if kind == "video":
                found.videos.append(Candidate(path.absolute(), name, frames))
            elif kind == "broken":
                found.broken.append(Candidate(path.absolute(), name, problem=problem))
            else:
                found.skipped += 1
    return found


def _candidates(given: str) -> Iterator[tuple[Path, str]]:
    """(file, name for its output) for one input: a folder's files named relative to it, a
    glob's relative to the folder its pattern starts in, a file by its own name."""
    path = Path(given)
    if path.is_dir():
        yield from _walk(path, path)
    elif path.is_file():
        yield path, path.name
    elif glob.has_magic(given):
        matches = sorted(glob.glob(given, recursive=True))
        if not matches:
            raise InputError(f"{given}: no file matches this pattern")
        root = _glob_root(given)
        for match in map(Path, matches):
            if match.is_dir():
                yield from _walk(match, root)
            elif match.is_file() and not _hidden(match.name):
                yield match, match.relative_to(root).as_posix()
    else:
        raise InputError(f"{given}: no such file or folder")


def _walk(folder: Path, root: Path) -> Iterator[tuple[Path, str]]:
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            if not _hidden(name):
                path = Path(top) / name
                yield path, path.relative_to(root).as_posix()


def _hidden(name: str) -> bool:
    """Dot files (thumbnails, our own temporary `.NAME.deblur-PID-X.part.EXT`)."""
    return name.startswith(".") or bool(STALE.match(name))


def _glob_root(pattern: str) -> Path:
    """The folder a glob starts in: its leading parts without wildcards."""
    parts = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")
