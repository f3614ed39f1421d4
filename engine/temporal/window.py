"""The temporal reference stage as a window over a stream: push frames in order, get finished
frames back in the same order. With look-ahead (files) a frame is finished once `window`
newer frames are in, or a scene cut closed its scene, or at `flush()`; with `past_only`
(live) every frame is finished on the push that brings it, from past frames alone."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.temporal.align import Aligner
from engine.temporal.fusion import FusionParams, FusionStats, fuse, weigh
from engine.temporal.multiframe import MultiFrameDeconvolver, blend
from engine.temporal.refine import refiner_inputs
from engine.temporal.sharpness import FrameInfo, scene_cut
from models.fusion_refiner import MAX_REFERENCES


FLOW_WIDTH = 640   # big frames are aligned on grey images about this wide
DEFAULT_WINDOW = 8  # frames each side. With the second reference from the other side, 8
                    # tuning clips (the stage alone) gained +0.92 / +0.97 / +1.00 / +1.01 dB
                    # at 6 / 8 / 10 / 12, and the bundled clip +2.89 / +2.97 / +2.99 / +2.99
                    # with 1.40 / 1.46 / 1.78 / 1.96 % of its blocks harmed: 8 gains most of
                    # it with no more harm (BENCHMARKS.md, session 19)


def flow_scale_for(width: int) -> int:
    """How many times smaller than the frame the flow images are: half size up to 720p, about
    FLOW_WIDTH pixels wide above. At 1080p a third (640x360) gained more than half size
    (960x540) on 2 tuning clips made from training photos, +1.44 against +1.19 dB, and on 2
    held-out ones, +1.08 against +0.96; a quarter +1.41 / +1.07, a sixth +0.79 held-out
    (BENCHMARKS.md, "The default export"): the stage's tests and weights are in flow-size
    pixels, tuned at 640x360."""
    return max(2, round(width / FLOW_WIDTH))


@dataclass
class TemporalResult:
    index: int               # the index it was pushed with
    frame: np.ndarray        # uint8 HxWx3 RGB: the fused frame (the base where none helped)
    stats: FusionStats


class TemporalFuser:
    """Temporal reference fusion over a sliding window.

    window: frames each side that may lend detail (and the look-ahead for files).
    past_only: never wait for a future frame (live sources).
    max_references: how many of the sharpest candidates are aligned per frame (each costs
        two flows); candidates must be at least `min_gain` times as sharp as the frame.
    global_tolerance: how far (flow-size px) the flow may stray from the global motion model
        fitted to it and still follow it (align.py); 0: the flow alone.
    make_bases: the single-frame model, asked only for the frames that need its output, when
        they are finished (indices in, one uint8 RGB image each out): the sharp frames kept
        as shot never cost a model call. Frames pushed with a base have theirs already.
    deconvolve: restore each frame that is not kept as shot from itself and its neighbours
        along the camera's own motion first (multiframe.py); where that holds it replaces the
        base, and the sharper frames' detail is fused over it as before.
    """

    def __init__(self, window: int = DEFAULT_WINDOW, past_only: bool = False,
                 max_references: int = MAX_REFERENCES,
                 min_gain: float = 1.15, params: FusionParams | None = None,
                 preset: str = "fast", flow_scale: int | None = None, fb_check: bool = True,
                 distance_penalty: float = 0.03, preblur: float = 2.5,
                 global_tolerance: float = 1.0,
                 make_bases: Callable[[list[int]], list[np.ndarray]] | None = None,
                 deconvolve: bool = False,
                 refiner: Callable[[np.ndarray], np.ndarray] | None = None):
        if window < 1:
            raise ValueError(f"window must be at least 1 (got {window})")
        self.window = window
        self.past_only = past_only
        self.max_references = max_references
        self.min_gain = min_gain
        self.params = params or FusionParams()
        self.flow_scale = flow_scale      # None: flow_scale_for each frame's width
        self.distance_penalty = distance_penalty
        self.preblur = preblur
        self.aligner = Aligner(preset, check_backward=fb_check,
                               global_tolerance=global_tolerance)
        self.make_bases = make_bases
        self.deconvolver = MultiFrameDeconvolver() if deconvolve else None
        self.refiner = refiner
        self._frames: deque[FrameInfo] = deque()   # analysed frames still of use, in order
        self._pending: deque[FrameInfo] = deque()  # pushed, not yet emitted
        self._segment = 0

    # -- the stream -------------------------------------------------------------------------
    def push(self, index: int, rgb: np.ndarray, base: np.ndarray | None = None
             ) -> list[TemporalResult]:
        """Add the next frame (uint8 HxWx3 RGB, with the single-frame model's output for it
        if there is one); returns the frames finished by it, oldest first."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected uint8 HxWx3 RGB, got {rgb.dtype} {rgb.shape}")
        if base is not None and base.shape != rgb.shape:
            raise ValueError(f"base {base.shape} does not match the frame {rgb.shape}")
        scale = self.flow_scale or flow_scale_for(rgb.shape[1])
        info = FrameInfo(index, rgb, base, scale, self.params.sigma, self.preblur)
        if self._frames:
            last = self._frames[-1]
            if last.rgb is not None and last.rgb.shape != rgb.shape or scene_cut(last, info):
                self._segment += 1
        info.segment = self._segment
        if self.deconvolver is not None:
            last = self._frames[-1] if self._frames else None
            joined = last is not None and last.segment == info.segment and last.rgb is not None
            self.deconvolver.observe(last if joined else None, info)
        self._frames.append(info)
        self._pending.append(info)
        ready = []
        while self._pending and self._ready(self._pending[0]):
            ready.append(self._pending.popleft())
        out = self._finish_all(ready)
        self._evict()
        return out

    def flush(self) -> list[TemporalResult]:
        """End of stream: finish every frame still waiting for its look-ahead."""
        out = self._finish_all(list(self._pending))
        self._pending.clear()
        self._frames.clear()
        return out

    @property
    def latency(self) -> int:
        """Frames a pushed frame may wait before it comes out."""
        return 0 if self.past_only else self.window

    # -- inside -----------------------------------------------------------------------------
    def _position(self, info: FrameInfo) -> int:
        # identity search from the newest end: the deque is short (2 * window + 1)
        for k in range(len(self._frames) - 1, -1, -1):
            if self._frames[k] is info:
                return k
        raise KeyError(info.index)

    def _ready(self, info: FrameInfo) -> bool:
        if self.past_only:
            return True
        newest = self._frames[-1]
        if newest.segment != info.segment:
            return True                 # its scene is over: no later frame can help it
        return len(self._frames) - 1 - self._position(info) >= self.window

    def _evict(self) -> None:
        """Keep `window` frames before the oldest one still to be emitted."""
        oldest = self._pending[0] if self._pending else self._frames[-1]
        keep_from = max(self._position(oldest) - self.window, 0)
        if self.past_only:
            keep_from = max(len(self._frames) - self.window, 0)
        for _ in range(keep_from):
            self._frames.popleft().release()

    def candidates(self, info: FrameInfo) -> list[FrameInfo]:
        """Frames of the same scene within the window, clearly sharper than `info`, best
        first (sharpness, a little less for each frame of distance: far frames are harder to
        align and more of the scene has moved), except that the second is the best from the
        other side of `info` where it has one."""
        p = self._position(info)
        lo = max(p - self.window, 0)
        hi = p if self.past_only else min(p + self.window, len(self._frames) - 1)
        scored = []
        for q in range(lo, hi + 1):
            other = self._frames[q]
            if q == p or other.segment != info.segment or other.rgb is None:
                continue
            if other.sharpness < info.sharpness * self.min_gain:
                continue
            score = other.sharpness * (1.0 - self.distance_penalty * abs(q - p))
            scored.append((score, q, other))
        scored.sort(key=lambda s: (-s[0], s[1]))
        if scored:
            # the best of the other side second, where there is one: the camera moves on, so
            # a frame before and one after leave opposite borders uncovered (8 tuning clips:
            # +0.03 dB, fewer harmed blocks; BENCHMARKS.md, session 19)
            after = scored[0][1] > p
            other_side = [s for s in scored[1:] if (s[1] > p) != after][:1]
            scored = scored[:1] + other_side + [s for s in scored[1:] if s not in other_side]
        return [other for _, _, other in scored[:self.max_references]]

    def _finish_all(self, infos: list[FrameInfo]) -> list[TemporalResult]:
        """Finish `infos` (in order), the model run first, in one call, on those that need it."""
        plans = [(info, refs, self._kept_as_shot(info, refs))
                 for info, refs in ((info, self.candidates(info)) for info in infos)]
        if self.make_bases is not None:
            wanted = [info for info, _, kept in plans if info.base is None and not kept]
            if wanted:
                for info, base in zip(wanted, self.make_bases([i.index for i in wanted])):
                    info.base = base
        if self.deconvolver is not None:
            for info, _, kept in plans:
                if not kept:
                    self._deconvolve(info)
        return [self._finish(info, refs, kept) for info, refs, kept in plans]

    def _deconvolve(self, info: FrameInfo) -> None:
        restored = self.deconvolver.restore(self._frames, self._position(info))
        if restored is not None:
            image, keep = restored
            info.base = blend(image, keep, info.rgb if info.base is None else info.base)
            info.deconvolved = float(keep.mean())

    def _kept_as_shot(self, info: FrameInfo, refs: list[FrameInfo]) -> bool:
        # The sharp frames the others borrow from: no model improves on them, and a
        # single-frame model's guesses (its harm on sharp content) would show as flicker.
        # Without a model at all the input is the result anyway.
        has_model = (info.base is not None or self.make_bases is not None
                     or self.deconvolver is not None)
        return not refs and has_model and self._anchor(info)

    def _finish(self, info: FrameInfo, refs: list[FrameInfo], kept: bool) -> TemporalResult:
        if kept:
            stats = FusionStats(sharpness=info.sharpness,
                                reason="sharper than its neighbours: kept as shot")
            return TemporalResult(info.index, info.rgb, stats)
        weighed = weigh(info, [(ref, self.aligner.align(info.flow_grey, ref.flow_grey))
                               for ref in refs], self.params)
        frame, stats = fuse(info, weighed, self.params, info.base)
        stats.deconvolved = info.deconvolved
        if self.refiner is not None and weighed:
            frame = self.refiner(refiner_inputs(frame, info, weighed, self.refiner.references))
            stats.refined = True
        if not refs:
            stats.reason = "sharpest in its window"
        return TemporalResult(info.index, frame, stats)

    def _anchor(self, info: FrameInfo) -> bool:
        """Blur comes and goes in this frame's window (its sharpest and blurriest frames of the
        scene differ by `min_gain` or more) and no frame there is clearly sharper than this
        one: it is one of the sharp frames. A window blurred throughout has none (the model's
        output stays)."""
        p = self._position(info)
        hi = p if self.past_only else min(p + self.window, len(self._frames) - 1)
        scene = [self._frames[q].sharpness for q in range(max(p - self.window, 0), hi + 1)
                 if self._frames[q].segment == info.segment]
        return len(scene) > 1 and max(scene) >= self.min_gain * max(min(scene), 1e-6)
