"""Per-pixel fusion: the current frame's own low frequencies, the aligned references' detail
where they agree with it, and the base image (the model's restored frame, or the input)
where no reference helps.

Motion blur keeps a frame's low band (it averages along a short path), so the low band of
the current frame is right and only the detail is missing; a sharper neighbour has that
detail. Where the reference is off (flow failed, occlusion, an object that moved on its
own) its low band disagrees with the current frame's, and that pixel keeps the base."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from engine.temporal.align import Alignment
from engine.temporal.sharpness import FrameInfo, lowpass


@dataclass
class FusionParams:
    """Session 12 loosened agree_tolerance 20 -> 30 (the stage alone: tuning clips +0.86 ->
    +0.93 dB, the bundled clip +2.70 -> +2.85 dB). Also tried there and left: sigma 24
    (+0.01 dB for 4x the 32 px blocks made 1 dB worse: the agreement tests on
    its low band miss a small moving object), local_margin 0.15 (+0.02 dB, a
    sharp frame of a noisy clip given a blurred one's detail), looser structure and erosion
    tests (ghosted test_temporal's object), DIS "medium" (+0.07-0.09 dB, ghosted it too)."""
    sigma: float = 10.0           # split between own low band and borrowed detail (px)
    agree_tolerance: float = 30.0 # grey levels of low-band difference that halve the weight,
    structure_window: float = 3.0 # local window (flow-size σ) of the structure test
    structure_floor: float = 0.5  # correlation at or below which a reference lends nothing
    structure_c: float = 0.3      # grey levels²: flat areas count as agreeing
    sharper_margin: float = 0.3   # reference this much sharper (ratio - 1) = full weight
    local_window: float = 12.0    # flow-size σ of the local sharpness test
    local_margin: float = 0.3     # reference this much sharper there (ratio - 1) = full weight
    local_floor: float = 4.0      # fine-band energy (grey levels²) below which a spot is flat
    min_weight: float = 0.02      # below this the reference is ignored at a pixel
    confidence_blur: float = 1.0  # smooths the weight maps (flow-size px): no seams
    erode: int = 5                # a pixel this close to a failure is itself doubtful


@dataclass
class FusionStats:
    """What the fusion did to one frame. `reference` is the frame index that lent the most
    detail (None: none did), `share` the mean weight of borrowed detail over the pixels
    (0 = the base alone, 1 = every pixel's detail from references), `shares` the same per
    reference index, `references` the indices aligned."""
    reference: int | None = None
    share: float = 0.0
    shares: dict[int, float] = field(default_factory=dict)
    references: tuple[int, ...] = ()
    sharpness: float = 0.0
    reason: str = ""              # why no reference was tried, when none was
    deconvolved: float = 0.0      # share of pixels the multi-frame deconvolution restored
    refined: bool = False         # the learned refinement (refine.py) ran on the fused frame


def sharper_gain(ref: float, cur: float, margin: float) -> float:
    """0 for a reference no sharper than the current frame, 1 from (1 + margin) times."""
    if cur <= 0:
        return 1.0
    return float(np.clip((ref / cur - 1.0) / margin, 0.0, 1.0))


def structure_agreement(target: FrameInfo, ref: FrameInfo, alignment: Alignment,
                        params: FusionParams) -> np.ndarray:
    """Local correlation of the mid band (flow image minus its low band) of the target and
    the aligned reference, mapped to [0, 1]. Blur lowers the target's amplitude but keeps
    the sign of its structure where the reference is in the right place; a ghost (an object
    that moved on its own, a bad flow) has structure that does not line up."""
    a = target.mid
    b = alignment.warp_small(ref.mid)
    s = params.structure_window
    ab = cv2.GaussianBlur(a * b, (0, 0), s)
    aa = cv2.GaussianBlur(a * a, (0, 0), s)
    bb = cv2.GaussianBlur(b * b, (0, 0), s)
    c = params.structure_c
    ncc = (ab + c) / (np.sqrt(aa * bb) + c)
    return np.clip((ncc - params.structure_floor) / (1.0 - params.structure_floor), 0.0, 1.0)


def locally_sharper(target: FrameInfo, ref: FrameInfo, alignment: Alignment,
                    params: FusionParams) -> np.ndarray:
    """0 where the aligned reference has no more fine detail than the target, 1 where it has
    (1 + local_margin) times as much: a reference lends only what is sharper than what the
    target has at that spot. The frame-wide sharpness that picked it can be fooled (an object
    entering the frame, blur that varies across it, detail in one direction only); a sharp
    target given a blurred reference's detail would come out worse."""
    mine = target.fine_energy(params.local_window)
    theirs = alignment.warp_small(ref.fine_energy(params.local_window))
    ratio = (theirs + params.local_floor) / (mine + params.local_floor)
    return np.clip((ratio - 1.0) / params.local_margin, 0.0, 1.0)


def reference_weight(target: FrameInfo, ref: FrameInfo, alignment: Alignment,
                     params: FusionParams) -> np.ndarray:
    """Weight map at flow size: alignment confidence times low-band agreement times
    structure agreement times how much sharper the reference is, there and as a whole."""
    warped = alignment.warp_small(ref.grey_low)
    diff = np.abs(target.grey_low - warped)
    tol2 = params.agree_tolerance ** 2
    agree = tol2 / (tol2 + diff * diff)
    weight = (alignment.confidence * agree * structure_agreement(target, ref, alignment, params)
              * locally_sharper(target, ref, alignment, params))
    if params.confidence_blur > 0:
        # erode-then-smooth: a pixel next to a failure is itself doubtful
        weight = cv2.erode(weight, np.ones((params.erode, params.erode), np.uint8))
        weight = cv2.GaussianBlur(weight, (0, 0), params.confidence_blur)
    return weight * sharper_gain(ref.sharpness, target.sharpness, params.sharper_margin)


def weigh(target: FrameInfo, refs: list[tuple[FrameInfo, Alignment]], params: FusionParams
          ) -> list[tuple[FrameInfo, Alignment, np.ndarray]]:
    """Each reference (its info and its alignment onto `target`) with its weight map."""
    return [(ref, alignment, reference_weight(target, ref, alignment, params))
            for ref, alignment in refs]


def fuse(target: FrameInfo, refs: list[tuple[FrameInfo, Alignment, np.ndarray]],
         params: FusionParams, base: np.ndarray | None = None) -> tuple[np.ndarray, FusionStats]:
    """Fuse `refs` (reference info, its alignment onto `target` and its weight map, as
    `weigh` gives them) into the target frame. `base` (uint8 RGB, the single-frame model's
    output) defaults to the target's input."""
    base_u8 = target.rgb if base is None else base
    stats = FusionStats(references=tuple(r.index for r, _, _ in refs),
                        sharpness=target.sharpness)
    if not refs:
        stats.reason = stats.reason or "no reference"
        return base_u8, stats
    h, w = base_u8.shape[:2]
    lending = [(ref, alignment, wmap, weight) for (ref, alignment, wmap), weight
               in zip(refs, (float(wmap.mean()) for _, _, wmap in refs))
               if weight >= params.min_weight]
    if not lending:
        stats.reason = "no agreement"
        return base_u8, stats
    # (its detail, its maps and its weight at full size) for each reference that lends
    used = [(ref.detail, alignment.full_maps(w, h),
             cv2.resize(wmap, (w, h), interpolation=cv2.INTER_LINEAR))
            for ref, alignment, wmap, _ in lending]
    total = used[0][2]
    square = total * total
    for _, _, wfull in used[1:]:
        total = total + wfull
        square += wfull * wfull
    total = np.maximum(total, 1e-6)
    # how much to borrow: the weights' own weighted mean, not their sum (two references
    # each half sure do not make one sure one)
    alpha = square / total
    own_low = target.low if base is None else lowpass(base.astype(np.float32), params.sigma)
    out = np.empty_like(base_u8)
    # The three-channel work at full size, in strips of rows on the cores (NumPy and OpenCV
    # release the GIL): at 1080p it was half of the stage's time on one core.
    strips = _strips(h, w)
    if len(strips) == 1:
        _blend(strips[0], used, total, alpha, own_low, base_u8, out)
    else:
        list(_pool().map(lambda rows: _blend(rows, used, total, alpha, own_low, base_u8, out),
                         strips))
    share = float(alpha.mean())
    # each reference's part of the borrowed share, by its mean weight
    norm = sum(weight for *_, weight in lending)
    stats.shares = {ref.index: share * weight / norm for ref, _, _, weight in lending}
    stats.share = share
    stats.reference = max(stats.shares, key=stats.shares.get) if stats.shares else None
    return out, stats


def _blend(rows: slice, used: list, total: np.ndarray, alpha: np.ndarray,
           own_low: np.ndarray, base: np.ndarray, out: np.ndarray) -> None:
    """out[rows] = base + alpha * (own low band + the references' detail weighted by their
    weights over `total` - base)."""
    detail = None
    for ref_detail, (mx, my), wfull in used:
        # cubic: bilinear resampling at a fractional shift softens the detail it carries
        warped = cv2.remap(ref_detail, mx[rows], my[rows], cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)
        if detail is None:
            detail = warped * wfull[rows, :, None]
        else:
            detail += warped * wfull[rows, :, None]
    detail /= total[rows, :, None]
    base_f = base[rows].astype(np.float32)
    blended = base_f + alpha[rows, :, None] * (own_low[rows] + detail - base_f)
    out[rows] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


STRIP_PIXELS = 640 * 360   # frames up to about this size are blended in one piece


def _strips(height: int, width: int) -> list[slice]:
    count = min(os.cpu_count() or 1, max(1, height * width // STRIP_PIXELS))
    bounds = np.linspace(0, height, count + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                              thread_name_prefix="deblur-fuse")
