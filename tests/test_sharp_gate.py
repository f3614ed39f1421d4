"""The sharp-input gate: where a frame is already sharp the model's change is withheld (a
frame that needs no help comes out unchanged), where motion blur struck it passes, and blur
that is the same every way (an out-of-focus background, a frame softened evenly by coding) is
no evidence; inside the adapter, so in every exported graph."""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

import models
from engine.sources.file import FileSource
from models.frame_adapter import FrameAdapter
from models.sharp_gate import SharpInputGate


def _sharp_frame() -> np.ndarray:
    source = FileSource("samples/city_sharp.mp4")
    try:
        return next(f.rgb for i, f in enumerate(source) if i == 30)
    finally:
        source.close()


def _measure(rgb: np.ndarray, what: str = "weight") -> np.ndarray:
    tensor = torch.from_numpy(rgb).float().permute(2, 0, 1)[None] / 255
    with torch.no_grad():
        return getattr(SharpInputGate((0.0, 1.0)), what)(tensor)[0, 0].numpy()


def _weight(rgb: np.ndarray) -> np.ndarray:
    return _measure(rgb, "weight")


def _motion_blurred(rgb: np.ndarray, length: int = 15) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(rgb, -1, kernel)


def test_sharp_content_is_withheld_and_motion_blur_lets_the_model_through():
    sharp = _sharp_frame()
    inner = (slice(40, -40), slice(40, -40))
    assert _weight(sharp)[inner].mean() < 0.2
    # measured 0.62 (ISOTROPY 1: the price of reading even softness as no evidence)
    assert _weight(_motion_blurred(sharp))[inner].mean() > 0.5


def test_defocus_is_no_evidence_and_motion_blur_of_the_same_reach_is():
    sharp = _sharp_frame()
    defocused = cv2.GaussianBlur(sharp, (0, 0), 15 / 4)   # about as wide as a 15-px path
    inner = (slice(40, -40), slice(40, -40))
    evidence = lambda rgb: _measure(rgb, "evidence")[inner].mean()   # noqa: E731
    assert evidence(defocused) < evidence(_motion_blurred(sharp)) - 0.2
    assert _weight(defocused)[inner].mean() < 0.1      # the bokeh is kept as it is


class _Scribble(nn.Module):
    """A network that changes every pixel: a fine pattern standing for restored detail."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * ((torch.arange(x.shape[-1]) % 2) * 2 - 1).to(x.dtype)


def test_the_adapter_gives_a_sharp_frame_back_and_changes_a_blurred_one():
    spec = models.resolve("fast").spec
    adapter = FrameAdapter(_Scribble(), spec).eval()
    sharp = _sharp_frame()
    blurred = _motion_blurred(sharp)
    with torch.inference_mode():
        out_sharp, out_blurred = adapter(torch.from_numpy(np.stack([sharp, blurred]))).numpy()
    inner = (slice(40, -40), slice(40, -40))
    changed = lambda a, b: np.abs(a.astype(int) - b)[inner].mean()   # noqa: E731
    assert changed(out_sharp, sharp) < 0.25 * changed(out_blurred, blurred)
    assert changed(out_blurred, blurred) > 10


class _Smoother(nn.Module):
    """A network that takes fine detail away (what a model that learned to denoise does to
    clean texture): a 3 x 3 box blur of its input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1,
                                              count_include_pad=False)


def test_a_change_that_takes_detail_away_from_a_blurred_frame_is_withheld():
    # Motion blur only ever removes fine detail: an output with less of it than the input
    # is smoothing, not deblurring, even where the frame is clearly motion-blurred.
    spec = models.resolve("fast").spec
    blurred = _motion_blurred(_sharp_frame())
    inner = (slice(40, -40), slice(40, -40))
    changed = lambda a, b: np.abs(a.astype(int) - b)[inner].mean()   # noqa: E731
    with torch.inference_mode():
        smoothed = FrameAdapter(_Smoother(), spec).eval()(torch.from_numpy(blurred[None]))
        sharpened = FrameAdapter(_Scribble(), spec).eval()(torch.from_numpy(blurred[None]))
    plain = cv2.blur(blurred, (3, 3))                  # what the smoother alone makes of it
    assert changed(plain, blurred) > 1.0
    assert changed(smoothed[0].numpy(), blurred) < 0.05 * changed(plain, blurred)
    assert changed(sharpened[0].numpy(), blurred) > 10  # adding detail still passes
