"""Command-line options shared by every command that restores frames: model, backend, device
and tiling, and the Restorer they describe; frame sizes written WxH."""
from __future__ import annotations

import argparse
import sys

from engine.backends import AUTO, backend_choices
from engine.errors import InputError
from engine.restorer import Restorer
from engine.tiling import TileOptions


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """'1280x720' -> (1280, 720); anything else is a one-line InputError naming `option`."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError(f"{option} {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if width < 1 or height < 1:
        raise InputError(f"{option} {text!r}: width and height must be positive")
    return width, height


def parse_clip_size(text: str, option: str = "--size") -> tuple[int, int]:
    """parse_size for an H.264 4:2:0 clip: both sides even, at least 16."""
    width, height = parse_size(text, option)
    if width % 2 or height % 2 or min(width, height) < 16:
        raise InputError(f"{option} {text!r}: a clip needs even sides of at least 16 pixels "
                         "(H.264 4:2:0)")
    return width, height


def add_restorer_options(parser: argparse.ArgumentParser, backend: str = AUTO) -> None:
    parser.add_argument("--model", default="fast", help="fast, quality or a full model name")
    parser.add_argument("--backend", default=backend, choices=backend_choices(),
                        help=f"inference backend (default {backend}: the fastest available)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: the backend's)")
    parser.add_argument("--tile", type=int, metavar="N",
                        help="process every frame in N x N tiles (default: only frames above "
                             f"{TileOptions().max_pixels / 1e6:.1f} MP, in "
                             f"{TileOptions().tile}-pixel tiles)")


def tile_options_from(args: argparse.Namespace) -> TileOptions:
    """--tile N forces N x N tiles on every frame; without it only large frames are tiled."""
    return TileOptions(tile=args.tile, max_pixels=0) if args.tile else TileOptions()


def restorer_from(args: argparse.Namespace) -> Restorer:
    """The Restorer the options ask for; says on stderr what `auto` chose."""
    restorer = Restorer(args.model, args.backend, args.device, tile_options_from(args))
    if args.backend == AUTO:
        print(f"deblur: backend auto -> {restorer.description}", file=sys.stderr)
    return restorer
