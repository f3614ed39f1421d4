"""The range of input shapes a TensorRT engine is built for (its optimisation profile), from
`deblur engine` options: `--size WxH ...` (min and max over the sizes, opt the first) or
`--min/--opt/--max WxH`, with `--batch N`. Shapes are the graph's input, N x H x W x 3; the
graph pads to the model's multiple itself, so any frame size inside the range is accepted."""
from __future__ import annotations

from dataclasses import dataclass

from common.sizes import parse_size
from export.errors import ExportError

Shape = tuple[int, int, int, int]   # N, H, W, 3


@dataclass(frozen=True)
class Profile:
    min: Shape
    opt: Shape
    max: Shape

    def covers(self, shape: tuple[int, ...]) -> bool:
        return len(shape) == 4 and all(lo <= s <= hi for lo, s, hi in
                                       zip(self.min, shape, self.max))

    def as_dict(self) -> dict[str, list[int]]:
        return {"min": list(self.min), "opt": list(self.opt), "max": list(self.max)}

    def describe(self) -> str:
        def size(s: Shape) -> str:
            return f"{s[2]}x{s[1]}" + (f" x{s[0]}" if s[0] > 1 else "")
        return f"min {size(self.min)}, opt {size(self.opt)}, max {size(self.max)}"


def _shape(batch: int, size: tuple[int, int]) -> Shape:
    return (batch, size[1], size[0], 3)


# Up to 1920 on either side, so portrait phone video fits as well as landscape (larger frames
# are tiled by the engine's Restorer into 1024-pixel tiles, which fit too).
DEFAULT_PROFILE = Profile(_shape(1, (16, 16)), _shape(1, (1280, 720)), _shape(1, (1920, 1920)))


def profile_from_options(sizes: list[str] | None = None, min_size: str | None = None,
                         opt_size: str | None = None, max_size: str | None = None,
                         batch: int = 1) -> Profile:
    """The profile the options describe; DEFAULT_PROFILE (16x16 .. 1920x1920, opt 1280x720,
    batch 1) when none is given."""
    if batch < 1:
        raise ExportError(f"--batch must be at least 1, got {batch}")
    explicit = (min_size, opt_size, max_size)
    if sizes and any(explicit):
        raise ExportError("give either --size or --min/--opt/--max, not both")
    if any(explicit) and not all(explicit):
        raise ExportError("--min, --opt and --max go together; give all three (or use --size)")
    if sizes:
        parsed = [parse_size(s) for s in sizes]
        low = (min(w for w, _ in parsed), min(h for _, h in parsed))
        high = (max(w for w, _ in parsed), max(h for _, h in parsed))
        return Profile(_shape(1, low), _shape(batch, parsed[0]), _shape(batch, high))
    if all(explicit):
        low, opt, high = (parse_size(text, option)
                          for text, option in zip(explicit, ("--min", "--opt", "--max")))
        if not all(lo <= o <= hi for lo, o, hi in zip(low, opt, high)):
            raise ExportError(f"profile needs min <= opt <= max in width and height; got "
                              f"{min_size}, {opt_size}, {max_size}")
        return Profile(_shape(1, low), _shape(batch, opt), _shape(batch, high))
    if batch == 1:
        return DEFAULT_PROFILE
    return Profile(DEFAULT_PROFILE.min, (batch, *DEFAULT_PROFILE.opt[1:]),
                   (batch, *DEFAULT_PROFILE.max[1:]))
