"""Checks an exported graph against the PyTorch module it was traced from, with ONNX Runtime on
the CPU, on natural images (crops of the bundled blurred stills) at sizes other than the trace
size, one of them not a multiple of the model's pad.

fp32: outputs are uint8, and one rounding flip already costs 1/255 ~ 0.0039 > 1e-3, so the
1e-3 bound (in [0, 1] units) is checked on the graph itself read out just before its Round
node (an extra output is added to a copy of the graph), against FrameAdapter's float output.
The uint8 output is checked too: at most one uint8 step from PyTorch's, with the share of
flipped values reported.
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
import onnx
import onnxruntime as ort
import torch
from skimage.metrics import peak_signal_noise_ratio

from export.errors import ExportError
from export.onnx_export import INPUT_NAME, frame_module
from models import LoadedModel

MAX_ABS_ERR = 1e-3
MAX_UINT8_STEP = 1
MIN_PSNR_DB = 45.0
PSNR_IDENTICAL = 100.0   # reported for identical outputs (PSNR is infinite; JSON has no inf)
# (batch, height, width): a full 360p frame, an odd size in a batch of two, a square.
FULL_SHAPES = ((1, 360, 640), (2, 97, 130), (1, 256, 256))
QUICK_SHAPES = ((2, 45, 70),)   # first use of a backend: quick, still an odd size
PRE_ROUND = "verify_pre_round"
SAMPLE_IMAGES = Path(__file__).resolve().parents[1] / "samples" / "pairs" / "blur"


@dataclass(frozen=True)
class Check:
    shape: tuple[int, int, int]   # batch, height, width
    graph: str                    # 'fp32 uint8', 'fp32 pre-round' or 'fp16 uint8'
    metric: str
    value: float
    limit: float
    passed: bool
    note: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}


def sample_images() -> tuple[list[np.ndarray], str]:
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


STREAK = 15   # px of horizontal motion blur laid over the verification crops


def streaked(images: list[np.ndarray]) -> list[np.ndarray]:
    """The stills motion-blurred along x: the sharp-input gate lets the network's output
    through only where the input shows motion blur, and verification must see the network."""
    kernel = np.full((1, STREAK), 1.0 / STREAK, np.float32)
    return [cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT) for image in images]


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


def inputs_for(model: LoadedModel, shape: tuple[int, int, int], images: list[np.ndarray]
               ) -> np.ndarray:
    """What the graph is fed at `shape`: crops of the stills, and for a network of more than
    3 input channels (the fusion refiner's 13) its channels filled from crops of the other
    stills and other places, so every channel carries natural structure."""
    channels = model.spec.in_channels
    parts = [crops(shape, images[k % len(images):] + images[:k % len(images)])
             for k in range(-(-channels // 3))]
    return np.ascontiguousarray(np.concatenate(parts, axis=3)[..., :channels])


def _session(graph: bytes, optimise: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    if np.array_equal(reference, test):
        return PSNR_IDENTICAL
    return float(peak_signal_noise_ratio(reference, test, data_range=255))


def with_pre_round_output(graph: bytes) -> bytes:
    """A copy of an fp32 frame graph with a second output: the value its Round node rounds,
    scaled to [0, 1] and in NHWC layout, like FrameAdapter's float output."""
    model = onnx.load_from_string(graph)
    rounds = [node for node in model.graph.node if node.op_type == "Round"]
    if len(rounds) != 1:
        raise ExportError(f"expected one Round node in the frame graph, found {len(rounds)}")
    model.graph.initializer.append(
        onnx.helper.make_tensor("verify_inv255", onnx.TensorProto.FLOAT, [], [1 / 255]))
    model.graph.node.extend([
        onnx.helper.make_node("Mul", [rounds[0].input[0], "verify_inv255"], ["verify_unit"]),
        onnx.helper.make_node("Transpose", ["verify_unit"], [PRE_ROUND], perm=[0, 2, 3, 1])])
    model.graph.output.append(onnx.helper.make_tensor_value_info(
        PRE_ROUND, onnx.TensorProto.FLOAT, ["batch", "height", "width", 3]))
    return model.SerializeToString()


def verify(model: LoadedModel, precision: str, graph: bytes,
           shapes: tuple[tuple[int, int, int], ...] = FULL_SHAPES) -> tuple[list[Check], str]:
    """The checks of `graph` (an export of `model` at `precision`) at each shape, and a line
    naming the images used."""
    stills, source = sample_images()
    images = streaked(stills)          # once for every shape
    reference = frame_module(model, "fp32")
    fp32 = precision == "fp32"
    session = _session(with_pre_round_output(graph) if fp32 else graph, optimise=fp32)
    checks = []
    for shape in shapes:
        frames = inputs_for(model, shape, images)
        outputs = session.run(None, {INPUT_NAME: frames})
        for name, got in zip((f"{precision} uint8", "fp32 pre-round"), outputs):
            reference.float_output = name == "fp32 pre-round"
            with torch.inference_mode():
                expected = reference(torch.from_numpy(frames)).numpy()
            checks.append(_compare(shape, name, expected, got))
    return checks, f"{source}, streaked {STREAK} px along x"


def _compare(shape: tuple[int, int, int], graph_name: str, expected: np.ndarray,
             got: np.ndarray) -> Check:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return Check(shape, graph_name, "shape", float("nan"), float("nan"), False,
                     f"got {got.dtype}{list(got.shape)}, want {expected.dtype}{list(expected.shape)}")
    if graph_name == "fp32 pre-round":
        err = float(np.abs(got - expected).max())
        return Check(shape, graph_name, "max abs err", err, MAX_ABS_ERR, err <= MAX_ABS_ERR)
    diff = np.abs(got.astype(np.int16) - expected.astype(np.int16))
    flipped = f"{(diff > 0).mean():.4%} of values differ"
    if graph_name == "fp32 uint8":
        step = float(diff.max())
        return Check(shape, graph_name, "max uint8 step", step, MAX_UINT8_STEP,
                     step <= MAX_UINT8_STEP, flipped)
    db = psnr(expected, got)
    return Check(shape, graph_name, "PSNR dB vs fp32", db, MIN_PSNR_DB, db >= MIN_PSNR_DB,
                 f"{flipped}, max step {int(diff.max())}")
