"""Checks an exported graph against the PyTorch module it was traced from, with ONNX Runtime on
the CPU, on natural images (crops of the bundled blurred stills) at sizes other than the trace
size, one of them not a multiple of the model's pad.

fp32: outputs are uint8, and one rounding flip already costs 1/255 ~ 0.0039 > 1e-3, so the
1e-3 bound (in [0, 1] units) is checked on the float-output variant of the same export (the
graph up to, not including, the rounding). The shipped uint8 graph is checked too: at most one
uint8 step from PyTorch, with the share of flipped values reported.
fp16: PSNR of the fp16 graph's output against PyTorch fp32's, >= 45 dB. The session runs with
graph optimisation off: ORT's CPU provider computes ops that lack fp16 kernels in fp32 between
casts it inserts, and its optimiser would fuse those casts away and keep activations in fp32.
Unoptimised, every intermediate tensor is rounded to fp16, as on a GPU.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import torch
from skimage.metrics import peak_signal_noise_ratio

from export.onnx_export import INPUT_NAME, export_onnx, frame_module
from models import LoadedModel

MAX_ABS_ERR = 1e-3
MAX_UINT8_STEP = 1
MIN_PSNR_DB = 45.0
PSNR_IDENTICAL = 100.0   # reported for identical outputs (PSNR is infinite; JSON has no inf)
# (batch, height, width): a full 360p frame, an odd size in a batch of two, a square.
FULL_SHAPES = ((1, 360, 640), (2, 97, 130), (1, 256, 256))
QUICK_SHAPES = ((2, 97, 130),)
SAMPLE_IMAGES = Path(__file__).resolve().parents[1] / "samples" / "pairs" / "blur"


@dataclass(frozen=True)
class Check:
    shape: tuple[int, int, int]   # batch, height, width
    graph: str                    # which graph: 'fp32 float', 'fp32 uint8', 'fp16 uint8'
    metric: str
    value: float
    limit: float
    passed: bool
    note: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}


def _images() -> tuple[list[np.ndarray], str]:
    """RGB stills to crop from, and what they are (for the record)."""
    decoded = (cv2.imread(str(p)) for p in sorted(SAMPLE_IMAGES.glob("*.png")))
    images = [cv2.cvtColor(i, cv2.COLOR_BGR2RGB) for i in decoded if i is not None]
    if images:
        return images, f"samples/pairs/blur ({len(images)} stills)"
    # Outside a checkout: smooth structure at three scales, a stand-in for natural images.
    rng = np.random.default_rng(0)
    layers = [cv2.resize(rng.random((360 // s, 640 // s, 3), dtype=np.float32), (640, 360),
                         interpolation=cv2.INTER_CUBIC) for s in (4, 16, 64)]
    image = np.clip(sum(layers) / len(layers) * 255, 0, 255).astype(np.uint8)
    return [image], "synthetic (samples/pairs/blur not found)"


def crops(shape: tuple[int, int, int], images: list[np.ndarray]) -> np.ndarray:
    """uint8 N x H x W x 3: frame i is a crop of image i (cycling), each from another place."""
    batch, height, width = shape
    frames = []
    for i in range(batch):
        image = images[i % len(images)]
        if image.shape[0] < height or image.shape[1] < width:
            image = cv2.resize(image, (max(width, image.shape[1]), max(height, image.shape[0])))
        top = (image.shape[0] - height) * (i + 1) // (batch + 1)
        left = (image.shape[1] - width) * (batch - i) // (batch + 1)
        frames.append(image[top:top + height, left:left + width])
    return np.ascontiguousarray(np.stack(frames))


def _session(graph: bytes, optimise: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def _psnr(reference: np.ndarray, test: np.ndarray) -> float:
    if np.array_equal(reference, test):
        return PSNR_IDENTICAL
    return float(peak_signal_noise_ratio(reference, test, data_range=255))


def verify(model: LoadedModel, precision: str, graph: bytes,
           shapes: tuple[tuple[int, int, int], ...] = FULL_SHAPES) -> tuple[list[Check], str]:
    """The checks of `graph` (an export of `model` at `precision`) at each shape, and a line
    naming the images used."""
    images, source = _images()
    reference = frame_module(model, "fp32")
    runs = [("fp32 uint8" if precision == "fp32" else "fp16 uint8",
             _session(graph, optimise=precision == "fp32"))]
    if precision == "fp32":
        runs.append(("fp32 float", _session(export_onnx(model, "fp32", float_output=True),
                                            optimise=True)))
    checks = []
    for shape in shapes:
        frames = crops(shape, images)
        for graph_name, session in runs:
            reference.float_output = graph_name == "fp32 float"
            with torch.inference_mode():
                expected = reference(torch.from_numpy(frames)).numpy()
            got = session.run(None, {INPUT_NAME: frames})[0]
            checks.append(_compare(shape, graph_name, expected, got))
    return checks, source


def _compare(shape: tuple[int, int, int], graph_name: str, expected: np.ndarray,
             got: np.ndarray) -> Check:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return Check(shape, graph_name, "shape", float("nan"), float("nan"), False,
                     f"got {got.dtype}{list(got.shape)}, want {expected.dtype}{list(expected.shape)}")
    if graph_name == "fp32 float":
        err = float(np.abs(got - expected).max())
        return Check(shape, graph_name, "max abs err", err, MAX_ABS_ERR, err <= MAX_ABS_ERR)
    diff = np.abs(got.astype(np.int16) - expected.astype(np.int16))
    flipped = f"{(diff > 0).mean():.4%} of values differ"
    if graph_name == "fp32 uint8":
        step = float(diff.max())
        return Check(shape, graph_name, "max uint8 step", step, MAX_UINT8_STEP,
                     step <= MAX_UINT8_STEP, flipped)
    psnr = _psnr(expected, got)
    return Check(shape, graph_name, "PSNR dB vs fp32", psnr, MIN_PSNR_DB, psnr >= MIN_PSNR_DB,
                 f"{flipped}, max step {int(diff.max())}")
