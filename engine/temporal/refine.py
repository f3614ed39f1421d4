"""The learned refinement of a fused frame (models/fusion_refiner.py), and the inputs it is
given: what the classical fusion had in hand for one frame. The same `refiner_inputs` feeds
training (engine/temporal/refiner_crops.py) and use, so the two cannot drift apart."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from engine.backends.onnxruntime_backend import OnnxRuntimeBackend
from engine.backends.options import TorchOptions
from engine.backends.torch_backend import TorchBackend
from engine.temporal.align import Alignment
from engine.temporal.sharpness import FrameInfo
from models import HELPERS, LoadedModel, ModelError, load

REFINER = "fusion-refiner"


Weighed = tuple[FrameInfo, Alignment, np.ndarray]     # a reference, its alignment, its weight


def _aligned(reference: Weighed, h: int, w: int) -> list[np.ndarray]:
    """The reference warped onto the target and its weight (x 255), full size, uint8."""
    ref, alignment, weight = reference
    mx, my = alignment.full_maps(w, h)
    warped = cv2.remap(ref.rgb, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    weight_full = cv2.resize(weight, (w, h), interpolation=cv2.INTER_LINEAR)
    return [warped, np.clip(weight_full * 255 + 0.5, 0, 255).astype(np.uint8)[..., None]]


def refiner_inputs(fused: np.ndarray, target: FrameInfo, weighed: list[Weighed],
                   references: int = 1) -> np.ndarray:
    """H x W x inputs_for(references) uint8: the fused frame, the input, the first (sharpest)
    reference aligned onto the target, the base the fusion started from, that reference's
    weight, then each further reference and its weight (zeros where the frame has fewer)."""
    h, w = fused.shape[:2]
    base = target.rgb if target.base is None else target.base
    warped, weight = _aligned(weighed[0], h, w)
    parts = [fused, target.rgb, warped, base, weight]
    for k in range(1, references):
        parts += (_aligned(weighed[k], h, w) if k < len(weighed)
                  else [np.zeros_like(fused), np.zeros_like(weight)])
    return np.concatenate(parts, axis=2)


class FusionRefinement:
    """The trained refiner: `refiner_inputs(...)` in, the refined uint8 RGB frame out, any size.
    It runs on ONNX Runtime by default: its verified export, made once into the user's cache
    like a restorer's, on the CUDA provider where this onnxruntime has one, else the CPU
    (about 2x torch's speed on the 2-core CPU); `backend="torch"` runs the module itself."""

    BACKENDS = ("onnxruntime", "torch")

    def __init__(self, model: LoadedModel, backend: str = "onnxruntime"):
        self.references = model.module.config.references   # refiner_inputs(..., references)
        if backend == "onnxruntime":
            self.backend = OnnxRuntimeBackend(model)
        elif backend == "torch":
            self.backend = TorchBackend(model, "cpu", TorchOptions(guard=False,
                                                                   cuda_graphs=False))
        else:
            raise ValueError(f"the refiner runs on {' or '.join(self.BACKENDS)}, not {backend!r}")

    @classmethod
    def of_module(cls, module: torch.nn.Module) -> FusionRefinement:
        """A refiner network not from the weights dir (training, tests), run by torch."""
        return cls(LoadedModel(HELPERS[REFINER], module.eval(), {}), backend="torch")

    @classmethod
    def load(cls, backend: str = "onnxruntime") -> FusionRefinement:
        """The shipped refiner; ModelError when its weights are missing or fail their check."""
        return cls(load(REFINER, helper=True), backend)

    @classmethod
    def load_if_trained(cls) -> FusionRefinement | None:
        try:
            return cls.load()
        except ModelError:
            return None

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return self.backend.infer(inputs[None])[0]
