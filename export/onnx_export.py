"""A model as an ONNX graph of its FrameAdapter: uint8 N x H x W x 3 RGB frames in and out,
batch, height and width dynamic; padding to the model's multiple, normalisation, layout,
clamping and rounding are graph ops, so a runtime feeds decoded frames as they are.

Two precisions with the same uint8 I/O: fp32, and fp16 compute (the module is converted with
.half() before tracing). TensorRT 11 builds strongly typed networks only, so reduced precision
has to be written into the graph; an fp16 graph is clean, with a Cast at each end only.

Exporter: the TorchScript-based one (`dynamo=False`). With torch 2.13 the torch.export-based
exporter (which also needs onnxscript) fails on MPRNet: its optimiser cannot fold the
SplitToSequence that `chunk` becomes. The TorchScript tracer records shape arithmetic (size,
//, %) as graph ops, so the padding amounts and MPRNet's patch split stay symbolic (checked at
sizes other than the trace size, see onnx_verify), and it folds eval-mode BatchNorm into the
preceding convolutions. A TracerWarning (a value frozen into the graph) is an error here.
"""
from __future__ import annotations

import copy
import io
import warnings

import onnx
import torch
from torch import nn

from export.errors import ExportError
from models import LoadedModel
from models.frame_adapter import FrameAdapter

OPSET = 17            # parsed by TensorRT 10 and 11, run by ONNX Runtime >= 1.13
EXPORTER_VERSION = 5  # bump when the exported graph changes: invalidates cached exports
# (2: the low-frequency guard of models/guard.py is part of every graph)
INPUT_NAME, OUTPUT_NAME = "frames", "restored"
PRECISIONS = ("fp32", "fp16")
# Batch 2, height and width multiples of 8 but not of 32, so no model sees a special size
# (N, H, W; the channels are the model's inputs: 3 for a restorer).
TRACE_SHAPE = (2, 40, 56)
_DYNAMIC_AXES = {0: "batch", 1: "height", 2: "width"}


def frame_module(model: LoadedModel, precision: str) -> nn.Module:
    """FrameAdapter around a copy of the network (so .half() leaves the caller's model fp32).
    A helper network (the fusion refiner) gets no do-no-harm guards: it is no restorer of
    frames, and its own gate keeps it where the fusion trusted a reference."""
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    network = copy.deepcopy(model.module).cpu().eval()
    adapter = FrameAdapter(network, model.spec, guard=not model.entry.helper).eval()
    return adapter.half() if precision == "fp16" else adapter


def export_onnx(model: LoadedModel, precision: str = "fp32") -> bytes:
    """The serialized ONNX graph."""
    module = frame_module(model, precision)
    example = torch.randint(0, 256, (*TRACE_SHAPE, model.spec.in_channels),
                            dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the exporter's own notice
        warnings.simplefilter("error", torch.jit.TracerWarning)
        try:
            torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET,
                              input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              dynamic_axes={INPUT_NAME: _DYNAMIC_AXES,
                                            OUTPUT_NAME: _DYNAMIC_AXES},
                              do_constant_folding=True)
        except torch.jit.TracerWarning as exc:
            raise ExportError(f"{model.entry.name}: tracing froze a value into the graph "
                              f"({str(exc).splitlines()[0]}); the export would be wrong at "
                              "other sizes") from None
    graph = onnx.load_from_string(buffer.getvalue())
    # The tracer names the output's channel axis symbolically (it comes out of a Transpose);
    # declare it as the 3 it is, as the input's is.
    graph.graph.output[0].type.tensor_type.shape.dim[3].dim_value = 3
    return graph.SerializeToString()
