"""The one way to read a frame size written WIDTHxHEIGHT (`1280x720`, `1280X720`): two whole
numbers above zero. A bad one is a one-line SizeError naming the option it came with."""
from __future__ import annotations

import argparse
import re

from common.errors import UserError

_SIZE = re.compile(r"\s*(\d+)\s*[xX]\s*(\d+)\s*")


class SizeError(UserError, ValueError):
    """A size that is not WIDTHxHEIGHT with positive whole numbers, or not one this use takes."""


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """'1280x720' -> (1280, 720); anything else is a SizeError naming `option`."""
    match = _SIZE.fullmatch(text or "")
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if min(width, height) < 1:
        raise SizeError(f"{option} {text!r} is not WIDTHxHEIGHT with positive whole numbers "
                        "(e.g. 1280x720)")
    return width, height


def parse_clip_size(text: str, option: str = "--size") -> tuple[int, int]:
    """parse_size for an H.264 4:2:0 clip: both sides even, at least 16."""
    width, height = parse_size(text, option)
    if width % 2 or height % 2 or min(width, height) < 16:
        raise SizeError(f"{option} {text!r}: a clip needs even sides of at least 16 pixels "
                        "(H.264 4:2:0)")
    return width, height


def size_argument(text: str) -> tuple[int, int]:
    """parse_size as an argparse `type=`: a bad size is argparse's own error (usage, exit 2)."""
    try:
        return parse_size(text, "size")
    except SizeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
